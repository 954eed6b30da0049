package io.grpo4j.torch;

import java.util.Arrays;
import java.util.Objects;

/**
 * Where one tensor lives in a safetensors file, as its header says: dtype, shape, and the byte
 * range {@code [begin, end)} relative to the start of the data section (the first byte after the
 * header). The shape array is copied in and out, so an instance is immutable.
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
  public TensorInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Number of elements: the product of the shape, 1 for a scalar, 0 if any dimension is 0. */
  public long numel() {
    long n = 1;
    for (long d : shape) n = Math.multiplyExact(n, d);
    return n;
  }

  /** Bytes the tensor's data occupies: {@code numel() * dtype.size}. */
  public long byteLength() {
    return Math.multiplyExact(numel(), (long) dtype.size);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorInfo t
        && name.equals(t.name)
        && dtype == t.dtype
        && Arrays.equals(shape, t.shape)
        && begin == t.begin
        && end == t.end;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
  }

  @Override
  public String toString() {
    return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
  }
}
