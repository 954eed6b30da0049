package io.grpo4j.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decodes the event files independently of the writer: a bit-by-bit CRC32C (checked against the
 * standard check value), the TFRecord framing read by hand, and the protobuf messages parsed by
 * {@link DynamicMessage} from descriptors transcribed from TensorFlow's event.proto, summary.proto,
 * tensor.proto and tensor_shape.proto (not from the writer's field-number constants).
 */
public class TfEventsWriterTest {
  @TempDir Path dir;

  /** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), one bit at a time. */
  static int crc32c(byte[] b, int off, int len) {
    int crc = 0xFFFFFFFF;
    for (int i = off; i < off + len; i++) {
      crc ^= b[i] & 0xFF;
      for (int k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0x82F63B78 & -(crc & 1));
    }
    return ~crc;
  }

  static int masked(int crc) {
    return ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
  }

  @Test
  void crcReferenceMatchesTheStandardCheckValue() {
    byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
    assertThat(crc32c(check, 0, 9)).isEqualTo(0xE3069283);
    assertThat(TfEventsWriter.maskedCrc32c(check, 0, 9)).isEqualTo(masked(0xE3069283));
  }

  static Descriptor eventType;

  static FieldDescriptorProto field(String name, int number, Type type, String typeName) {
    FieldDescriptorProto.Builder f =
        FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type);
    f.setLabel(Label.LABEL_OPTIONAL);
    if (typeName != null) f.setTypeName(typeName);
    return f.build();
  }

  static Descriptor event() throws Exception {
    if (eventType != null) return eventType;
    Type msg = Type.TYPE_MESSAGE;
    DescriptorProto dim =
        DescriptorProto.newBuilder()
            .setName("Dim")
            .addField(field("size", 1, Type.TYPE_INT64, null))
            .addField(field("name", 2, Type.TYPE_STRING, null))
            .build();
    DescriptorProto shape =
        DescriptorProto.newBuilder()
            .setName("TensorShapeProto")
            .addNestedType(dim)
            .addField(
                field("dim", 2, msg, ".tensorflow.TensorShapeProto.Dim").toBuilder()
                    .setLabel(Label.LABEL_REPEATED))
            .addField(field("unknown_rank", 3, Type.TYPE_BOOL, null))
            .build();
    DescriptorProto tensor =
        DescriptorProto.newBuilder()
            .setName("TensorProto")
            .addField(field("dtype", 1, Type.TYPE_INT32, null))
            .addField(field("tensor_shape", 2, msg, ".tensorflow.TensorShapeProto"))
            .addField(
                field("string_val", 8, Type.TYPE_BYTES, null).toBuilder()
                    .setLabel(Label.LABEL_REPEATED))
            .build();
    DescriptorProto pluginData =
        DescriptorProto.newBuilder()
            .setName("PluginData")
            .addField(field("plugin_name", 1, Type.TYPE_STRING, null))
            .addField(field("content", 2, Type.TYPE_BYTES, null))
            .build();
    DescriptorProto metadata =
        DescriptorProto.newBuilder()
            .setName("SummaryMetadata")
            .addNestedType(pluginData)
            .addField(field("plugin_data", 1, msg, ".tensorflow.SummaryMetadata.PluginData"))
            .addField(field("display_name", 2, Type.TYPE_STRING, null))
            .build();
    DescriptorProto value =
        DescriptorProto.newBuilder()
            .setName("Value")
            .addField(field("tag", 1, Type.TYPE_STRING, null))
            .addField(field("simple_value", 2, Type.TYPE_FLOAT, null))
            .addField(field("node_name", 7, Type.TYPE_STRING, null))
            .addField(field("tensor", 8, msg, ".tensorflow.TensorProto"))
            .addField(field("metadata", 9, msg, ".tensorflow.SummaryMetadata"))
            .build();
    DescriptorProto summary =
        DescriptorProto.newBuilder()
            .setName("Summary")
            .addNestedType(value)
            .addField(
                field("value", 1, msg, ".tensorflow.Summary.Value").toBuilder()
                    .setLabel(Label.LABEL_REPEATED))
            .build();
    DescriptorProto ev =
        DescriptorProto.newBuilder()
            .setName("Event")
            .addField(field("wall_time", 1, Type.TYPE_DOUBLE, null))
            .addField(field("step", 2, Type.TYPE_INT64, null))
            .addField(field("file_version", 3, Type.TYPE_STRING, null))
            .addField(field("summary", 5, msg, ".tensorflow.Summary"))
            .build();
    FileDescriptorProto file =
        FileDescriptorProto.newBuilder()
            .setName("event_subset.proto")
            .setPackage("tensorflow")
            .setSyntax("proto3")
            .addMessageType(shape)
            .addMessageType(tensor)
            .addMessageType(metadata)
            .addMessageType(summary)
            .addMessageType(ev)
            .build();
    eventType =
        FileDescriptor.buildFrom(file, new FileDescriptor[0]).findMessageTypeByName("Event");
    return eventType;
  }

  /** Every record of a file, framing and both CRCs checked, each parsed as an Event. */
  public static List<DynamicMessage> read(Path f) throws Exception {
    byte[] all = Files.readAllBytes(f);
    ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    List<DynamicMessage> out = new ArrayList<>();
    while (b.remaining() > 0) {
      int start = b.position();
      long len = b.getLong();
      assertThat(b.getInt()).as("length crc").isEqualTo(masked(crc32c(all, start, 8)));
      byte[] data = new byte[(int) len];
      b.get(data);
      assertThat(b.getInt()).as("data crc").isEqualTo(masked(crc32c(data, 0, data.length)));
      out.add(DynamicMessage.parseFrom(event(), data));
    }
    return out;
  }

  public static Object get(DynamicMessage m, String path) {
    Object cur = m;
    for (String name : path.split("\\.")) {
      DynamicMessage dm = (DynamicMessage) cur;
      cur = dm.getField(dm.getDescriptorForType().findFieldByName(name));
    }
    return cur;
  }

  @SuppressWarnings("unchecked")
  public static List<DynamicMessage> values(DynamicMessage event) {
    return (List<DynamicMessage>) get(event, "summary.value");
  }

  @Test
  void scalarsAndTextDecodeIndependently() throws Exception {
    Path file;
    try (TfEventsWriter w = TfEventsWriter.create(dir)) {
      Map<String, Double> row = new LinkedHashMap<>();
      row.put("reward/mean", 0.3125);
      row.put("kl/forward", 1.5e-4);
      row.put("eval/success_rate", Double.NaN); // no eval this step: left out
      w.scalars(7, row);
      w.text(7, "samples", "**#0** reward 1.000 ✓\n\n```\n3+5=8\n```");
      file = w.file();
    }
    assertThat(file.getFileName().toString()).startsWith("events.out.tfevents.");
    List<DynamicMessage> events = read(file);
    assertThat(events).hasSize(3);
    assertThat(get(events.get(0), "file_version")).isEqualTo("brain.Event:2");
    assertThat((double) get(events.get(0), "wall_time")).isGreaterThan(1.6e9);

    DynamicMessage scalars = events.get(1);
    assertThat(get(scalars, "step")).isEqualTo(7L);
    List<DynamicMessage> v = values(scalars);
    assertThat(v).hasSize(2);
    assertThat(get(v.get(0), "tag")).isEqualTo("reward/mean");
    assertThat(get(v.get(0), "simple_value")).isEqualTo(0.3125f);
    assertThat(get(v.get(1), "tag")).isEqualTo("kl/forward");
    assertThat(get(v.get(1), "simple_value")).isEqualTo(1.5e-4f);

    DynamicMessage text = values(events.get(2)).get(0);
    assertThat(get(text, "tag")).isEqualTo("samples");
    assertThat(get(text, "metadata.plugin_data.plugin_name")).isEqualTo("text");
    assertThat(get(text, "tensor.dtype")).isEqualTo(7); // DT_STRING
    @SuppressWarnings("unchecked")
    List<com.google.protobuf.ByteString> strings =
        (List<com.google.protobuf.ByteString>) get(text, "tensor.string_val");
    assertThat(strings).hasSize(1);
    assertThat(strings.get(0).toStringUtf8()).isEqualTo("**#0** reward 1.000 ✓\n\n```\n3+5=8\n```");
  }

  @Test
  void tensorBoardLogSendsEachStepsSamplesWithItsMetricsAndNothingWhenOff() throws Exception {
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    try (TensorBoardLog off = TensorBoardLog.open(dir.resolve("off"), false)) {
      off.metrics(json.readTree("{\"step\":1,\"a\":1}"));
      assertThat(off.file()).isNull();
    }
    assertThat(dir.resolve("off")).doesNotExist();
    Path file;
    try (TensorBoardLog log = TensorBoardLog.open(dir, true)) {
      for (int i = 0; i < TensorBoardLog.TEXT_ROWS + 2; i++) {
        log.sample(
            json.readTree(
                "{\"step\":1,\"index\":"
                    + i
                    + ",\"reward\":0.5,\"reason\":\"r"
                    + i
                    + "\",\"completion\":\"c\"}"));
      }
      log.metrics(json.readTree("{\"step\":1,\"loss/total\":-0.25,\"note\":\"x\"}"));
      log.metrics(json.readTree("{\"step\":2,\"loss/total\":0.5}"));
      file = log.file();
    }
    List<DynamicMessage> events = read(file);
    assertThat(events).hasSize(4); // version, step-1 scalars, step-1 text, step-2 scalars
    assertThat(values(events.get(1))).hasSize(1); // the string field is not a scalar
    assertThat(get(values(events.get(1)).get(0), "simple_value")).isEqualTo(-0.25f);
    assertThat(get(events.get(2), "step")).isEqualTo(1L);
    String text =
        ((com.google.protobuf.ByteString)
                ((List<?>) get(values(events.get(2)).get(0), "tensor.string_val")).get(0))
            .toStringUtf8();
    assertThat(text)
        .contains("r0", "r" + (TensorBoardLog.TEXT_ROWS - 1))
        .doesNotContain("r" + TensorBoardLog.TEXT_ROWS);
    assertThat(get(events.get(3), "step")).isEqualTo(2L);
  }
}
