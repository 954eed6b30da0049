package io.grpo4j.torch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.Layout;

/**
 * Moves raw tensor bytes between files and libtorch memory. Copies go in chunks of at most {@link
 * #CHUNK} bytes because a Java buffer (mapped or native) holds at most 2 GiB, while a tensor and
 * the file offsets it lives at may be larger.
 */
final class TensorBytes {
  /** 1 GiB: large enough to be fast, small enough for an int-indexed buffer. */
  static final int CHUNK = 1 << 30;

  private TensorBytes() {}

  /** A new, uninitialised, contiguous CPU tensor that owns its memory. */
  static Tensor empty(DType dtype, long[] shape) {
    try (var options = new TensorOptions(dtype.scalarType);
        var format = new MemoryFormatOptional()) {
      return torch.empty(shape, options, format);
    }
  }

  /**
   * Copies {@code length} bytes of {@code channel}, starting at {@code position}, into the memory
   * of the contiguous CPU tensor {@code target}, mapping the file read-only chunk by chunk.
   */
  static void readInto(FileChannel channel, long position, long length, Tensor target, int chunk)
      throws IOException {
    if (length == 0) return;
    if (target.nbytes() != length) {
      throw new IllegalStateException(
          "tensor has " + target.nbytes() + " bytes, file region " + length);
    }
    try (BytePointer memory = new BytePointer(target.data_ptr())) {
      memory.capacity(length);
      for (long done = 0; done < length; ) {
        int n = (int) Math.min(chunk, length - done);
        MappedByteBuffer source = channel.map(FileChannel.MapMode.READ_ONLY, position + done, n);
        ByteBuffer destination = memory.position(done).limit(done + n).asByteBuffer();
        destination.put(source);
        done += n;
      }
    }
  }

  /** Appends the bytes of a contiguous CPU tensor to {@code channel}. */
  static void writeFrom(Tensor source, FileChannel channel, int chunk) throws IOException {
    long length = source.nbytes();
    if (length == 0) return;
    try (BytePointer memory = new BytePointer(source.data_ptr())) {
      memory.capacity(length);
      for (long done = 0; done < length; ) {
        int n = (int) Math.min(chunk, length - done);
        ByteBuffer bytes = memory.position(done).limit(done + n).asByteBuffer();
        while (bytes.hasRemaining()) channel.write(bytes);
        done += n;
      }
    }
  }

  /** The tensor's data as a contiguous CPU tensor: itself if it already is one. */
  static Tensor contiguousCpu(Tensor t) {
    if (t.layout().value
        != Layout.Strided.value) { // JavaCPP enums from native calls are fresh instances
      throw new IllegalArgumentException(
          "only dense (strided) tensors can be saved, found layout " + t.layout());
    }
    Tensor cpu = t.is_cpu() ? t : t.cpu();
    return cpu.is_contiguous() ? cpu : cpu.contiguous();
  }

  /** The shape of a tensor as a Java array. */
  static long[] shape(Tensor t) {
    long[] shape = new long[(int) t.dim()];
    for (int i = 0; i < shape.length; i++) shape[i] = t.size(i);
    return shape;
  }
}
