package io.grpo4j.torch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;

/** Builds tensors from exact bit patterns and reads their raw bytes back, for byte-exact checks. */
final class TestTensors {
  private TestTensors() {}

  /**
   * A tensor of {@code dtype} and {@code shape} whose memory is exactly {@code littleEndianBytes}.
   */
  static Tensor fromBytes(DType dtype, long[] shape, byte[] littleEndianBytes) {
    Tensor t = TensorBytes.empty(dtype, shape);
    if (t.nbytes() != littleEndianBytes.length) {
      throw new IllegalArgumentException(
          t.nbytes() + " bytes needed, " + littleEndianBytes.length + " given");
    }
    if (littleEndianBytes.length > 0) {
      try (BytePointer p = new BytePointer(t.data_ptr())) {
        p.capacity(littleEndianBytes.length).put(littleEndianBytes);
      }
    }
    return t;
  }

  static Tensor f32(long[] shape, float... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) b.putFloat(v);
    return fromBytes(DType.F32, shape, b.array());
  }

  static Tensor i64(long[] shape, long... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) b.putLong(v);
    return fromBytes(DType.I64, shape, b.array());
  }

  /** A 16-bit tensor (BF16 or F16) from raw bit patterns. */
  static Tensor bits16(DType dtype, long[] shape, short... bits) {
    ByteBuffer b = ByteBuffer.allocate(bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (short v : bits) b.putShort(v);
    return fromBytes(dtype, shape, b.array());
  }

  /** The raw bytes of a contiguous CPU tensor. */
  static byte[] bytes(Tensor t) {
    byte[] out = new byte[(int) t.nbytes()];
    if (out.length > 0) {
      try (BytePointer p = new BytePointer(t.data_ptr())) {
        p.capacity(out.length).get(out);
      }
    }
    return out;
  }

  static float[] floats(Tensor t) {
    ByteBuffer b = ByteBuffer.wrap(bytes(t)).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[b.remaining() / 4];
    for (int i = 0; i < out.length; i++) out[i] = b.getFloat();
    return out;
  }

  static long[] longs(Tensor t) {
    ByteBuffer b = ByteBuffer.wrap(bytes(t)).order(ByteOrder.LITTLE_ENDIAN);
    long[] out = new long[b.remaining() / 8];
    for (int i = 0; i < out.length; i++) out[i] = b.getLong();
    return out;
  }

  static short[] shorts(Tensor t) {
    ByteBuffer b = ByteBuffer.wrap(bytes(t)).order(ByteOrder.LITTLE_ENDIAN);
    short[] out = new short[b.remaining() / 2];
    for (int i = 0; i < out.length; i++) out[i] = b.getShort();
    return out;
  }

  /** A safetensors file by hand, straight from the spec: u64 LE length, header text, data. */
  static byte[] rawFile(String header, byte[] data) {
    byte[] h = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return rawFile(h.length, h, data);
  }

  static byte[] rawFile(long declaredHeaderLength, byte[] header, byte[] data) {
    ByteBuffer b =
        ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(declaredHeaderLength).put(header).put(data);
    return b.array();
  }
}
