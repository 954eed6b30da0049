package io.grpo4j.torch;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * Writes one {@code .safetensors} file in the layout of the public spec, as the reference
 * implementation writes it: u64 little-endian header length, compact UTF-8 JSON header padded with
 * spaces to a multiple of 8 bytes (so the data section is 8-byte aligned), then the tensors' bytes
 * back to back. Unlike the reference, tensors keep the caller's map order (the reference sorts by
 * dtype then name); readers must not care, and ours and the reference's do not.
 *
 * <p>The file is written atomically ({@link AtomicFiles}). Tensors on another device or with
 * strides are copied to contiguous CPU memory one at a time while writing, so saving needs at most
 * one tensor's worth of extra host memory.
 */
public final class SafetensorsWriter {
  private SafetensorsWriter() {}

  /** Writes {@code tensors} in map order with the given {@code __metadata__} (omitted if empty). */
  public static void write(
      Path file, SequencedMap<String, Tensor> tensors, Map<String, String> metadata)
      throws IOException {
    write(file, tensors, metadata, TensorBytes.CHUNK);
  }

  @SuppressWarnings("try") // the PointerScope is used for its side effect: it frees temporaries
  static void write(
      Path file, SequencedMap<String, Tensor> tensors, Map<String, String> metadata, int chunk)
      throws IOException {
    byte[] header = header(tensors, metadata);
    List<Tensor> order = new ArrayList<>(tensors.values());
    AtomicFiles.writeChannel(
        file,
        channel -> {
          ByteBuffer prefix =
              ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
          while (prefix.hasRemaining()) channel.write(prefix);
          ByteBuffer json = ByteBuffer.wrap(header);
          while (json.hasRemaining()) channel.write(json);
          for (Tensor t : order) {
            // Copies made for a device move or a stride fix die with this scope, tensor by tensor.
            try (PointerScope scope = new PointerScope()) {
              TensorBytes.writeFrom(TensorBytes.contiguousCpu(t), channel, chunk);
            }
          }
        });
  }

  /**
   * Bytes a tensor's data takes in a safetensors file; rejects dtypes the format use here lacks.
   */
  public static long byteLength(String name, Tensor t) {
    return Math.multiplyExact(t.numel(), (long) dtypeOf(name, t).size);
  }

  /** The JSON header including its space padding to a multiple of 8. */
  static byte[] header(SequencedMap<String, Tensor> tensors, Map<String, String> metadata) {
    ObjectNode root = SafetensorsHeader.JSON.createObjectNode();
    if (metadata != null && !metadata.isEmpty()) {
      ObjectNode meta = root.putObject(SafetensorsHeader.METADATA_KEY);
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (var entry : tensors.entrySet()) {
      String name = entry.getKey();
      Tensor t = entry.getValue();
      if (name.equals(SafetensorsHeader.METADATA_KEY)) {
        throw new IllegalArgumentException(
            "'" + SafetensorsHeader.METADATA_KEY + "' cannot name a tensor");
      }
      DType dtype = dtypeOf(name, t);
      long bytes = byteLength(name, t);
      ObjectNode info = root.putObject(name);
      info.put("dtype", dtype.name());
      ArrayNode shape = info.putArray("shape");
      Arrays.stream(TensorBytes.shape(t)).forEach(shape::add);
      info.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }
    byte[] json;
    try {
      json = SafetensorsHeader.JSON.writeValueAsBytes(root);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a safetensors header", e);
    }
    int padded = (json.length + 7) / 8 * 8;
    byte[] header = Arrays.copyOf(json, padded);
    Arrays.fill(header, json.length, padded, (byte) ' ');
    return header;
  }

  private static DType dtypeOf(String name, Tensor t) {
    try {
      return DType.of(t.scalar_type());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("tensor '" + name + "': " + e.getMessage(), e);
    }
  }
}
