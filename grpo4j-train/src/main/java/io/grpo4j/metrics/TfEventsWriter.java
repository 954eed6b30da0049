package io.grpo4j.metrics;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A TensorBoard event file ({@code events.out.tfevents.<seconds>.<host>}) that TensorBoard and
 * W&amp;B's TensorBoard sync read.
 *
 * <p>The file is a sequence of TFRecords, each {@code uint64 length | uint32 masked_crc32c(length)
 * | data | uint32 masked_crc32c(data)} (little endian), where {@code masked(c) = ((c >>> 15) | (c
 * << 17)) + 0xa282ead8} and CRC32C is the Castagnoli polynomial. Each {@code data} is a protobuf
 * {@code tensorflow.Event}; the first one carries {@code file_version = "brain.Event:2"}. Scalars
 * are {@code Summary.Value{tag, simple_value}}; text is a {@code Summary.Value} whose {@code
 * metadata.plugin_data.plugin_name} is {@code "text"} and whose {@code tensor} is a scalar {@code
 * DT_STRING}. Field numbers are those of tensorflow/core/util/event.proto, framework/summary.proto,
 * tensor.proto and tensor_shape.proto. Each event is flushed as it is written, so a live
 * TensorBoard sees the steps come in; a torn last record (a killed run) is skipped by readers.
 */
public final class TfEventsWriter implements AutoCloseable {
  /** Event fields. */
  private static final int EVENT_WALL_TIME = 1, EVENT_STEP = 2, EVENT_FILE_VERSION = 3;

  private static final int EVENT_SUMMARY = 5;

  /** Summary / Summary.Value fields. */
  private static final int SUMMARY_VALUE = 1, VALUE_TAG = 1, VALUE_SIMPLE = 2;

  private static final int VALUE_TENSOR = 8, VALUE_METADATA = 9;

  /** SummaryMetadata.plugin_data, PluginData.plugin_name. */
  private static final int METADATA_PLUGIN_DATA = 1, PLUGIN_NAME = 1;

  /** TensorProto fields; DataType.DT_STRING. */
  private static final int TENSOR_DTYPE = 1, TENSOR_SHAPE = 2, TENSOR_STRING_VAL = 8;

  private static final int DT_STRING = 7;

  private static final int MASK_DELTA = 0xa282ead8;

  private final Path file;
  private final OutputStream out;

  private TfEventsWriter(Path file) throws IOException {
    this.file = file;
    this.out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW);
    write(event(0, bytes -> bytes.writeString(EVENT_FILE_VERSION, "brain.Event:2")));
  }

  /**
   * Creates a new event file in {@code dir} (made if missing), named the way TensorBoard expects.
   */
  public static TfEventsWriter create(Path dir) throws IOException {
    Files.createDirectories(dir);
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "localhost";
    }
    long seconds = System.currentTimeMillis() / 1000;
    Path f = dir.resolve("events.out.tfevents." + seconds + "." + host);
    for (int k = 1; Files.exists(f); k++) {
      f = dir.resolve("events.out.tfevents." + seconds + "." + host + "." + k);
    }
    return new TfEventsWriter(f);
  }

  public Path file() {
    return file;
  }

  /** One event at {@code step} with a scalar per entry; non-finite values are left out. */
  public void scalars(long step, Map<String, Double> values) throws IOException {
    List<Map.Entry<String, Double>> finite =
        values.entrySet().stream()
            .filter(e -> e.getValue() != null && Double.isFinite(e.getValue()))
            .toList();
    if (finite.isEmpty()) return;
    byte[] summary =
        message(
            s -> {
              for (var e : finite) {
                s.writeByteArray(
                    SUMMARY_VALUE,
                    message(
                        v -> {
                          v.writeString(VALUE_TAG, e.getKey());
                          v.writeFloat(VALUE_SIMPLE, e.getValue().floatValue());
                        }));
              }
            });
    write(event(step, ev -> ev.writeByteArray(EVENT_SUMMARY, summary)));
  }

  /** One event at {@code step} with a text summary (markdown, shown by TensorBoard's Text tab). */
  public void text(long step, String tag, String markdown) throws IOException {
    byte[] metadata =
        message(
            m ->
                m.writeByteArray(
                    METADATA_PLUGIN_DATA, message(p -> p.writeString(PLUGIN_NAME, "text"))));
    byte[] tensor =
        message(
            t -> {
              t.writeEnum(TENSOR_DTYPE, DT_STRING);
              t.writeByteArray(TENSOR_SHAPE, new byte[0]); // a scalar: no dims
              t.writeByteArray(TENSOR_STRING_VAL, markdown.getBytes(StandardCharsets.UTF_8));
            });
    byte[] value =
        message(
            v -> {
              v.writeString(VALUE_TAG, tag);
              v.writeByteArray(VALUE_TENSOR, tensor);
              v.writeByteArray(VALUE_METADATA, metadata);
            });
    byte[] summary = message(s -> s.writeByteArray(SUMMARY_VALUE, value));
    write(event(step, ev -> ev.writeByteArray(EVENT_SUMMARY, summary)));
  }

  @Override
  public void close() throws IOException {
    out.close();
  }

  /** The mask TFRecord applies to a CRC32C (so CRCs of data holding CRCs stay well spread). */
  static int maskedCrc32c(byte[] data, int off, int len) {
    CRC32C crc = new CRC32C();
    crc.update(data, off, len);
    int c = (int) crc.getValue();
    return ((c >>> 15) | (c << 17)) + MASK_DELTA;
  }

  private void write(byte[] data) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    header.putLong(data.length);
    header.putInt(maskedCrc32c(header.array(), 0, 8));
    ByteBuffer footer = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    footer.putInt(maskedCrc32c(data, 0, data.length));
    out.write(header.array());
    out.write(data);
    out.write(footer.array());
    out.flush();
  }

  private static byte[] event(long step, Fields body) throws IOException {
    return message(
        e -> {
          e.writeDouble(EVENT_WALL_TIME, System.currentTimeMillis() / 1000.0);
          if (step != 0) e.writeInt64(EVENT_STEP, step);
          body.write(e);
        });
  }

  private static byte[] message(Fields body) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    CodedOutputStream c = CodedOutputStream.newInstance(b);
    body.write(c);
    c.flush();
    return b.toByteArray();
  }

  @FunctionalInterface
  private interface Fields {
    void write(CodedOutputStream out) throws IOException;
  }
}
