package io.grpo4j.torch;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/** Small conversions between Java arrays and tensors, kept here so other rooms stay readable. */
public final class Tensors {
  private Tensors() {}

  public static TensorOptions options(DType dtype, Device device) {
    return new TensorOptions()
        .dtype(new ScalarTypeOptional(dtype.scalarType))
        .device(new DeviceOptional(device));
  }

  public static TensorOptions options(DType dtype) {
    return new TensorOptions().dtype(new ScalarTypeOptional(dtype.scalarType));
  }

  /** A [rows, cols] int64 tensor (on CPU) from a rectangular array. */
  public static Tensor longs(long[][] values) {
    int rows = values.length;
    int cols = rows == 0 ? 0 : values[0].length;
    long[] flat = new long[rows * cols];
    for (int r = 0; r < rows; r++) {
      if (values[r].length != cols) throw new IllegalArgumentException("ragged array: row " + r);
      System.arraycopy(values[r], 0, flat, r * cols, cols);
    }
    return longs(flat).reshape(rows, cols);
  }

  /** A 1-d int64 tensor (on CPU) owning a copy of {@code values}. */
  public static Tensor longs(long... values) {
    Tensor t = torch.empty(new long[] {values.length}, options(DType.I64), null);
    if (values.length > 0) new LongPointer(t.data_ptr_long()).put(values);
    return t;
  }

  /** A 1-d float32 tensor (on CPU) owning a copy of {@code values}. */
  public static Tensor floats(float... values) {
    Tensor t = torch.empty(new long[] {values.length}, options(DType.F32), null);
    if (values.length > 0) new FloatPointer(t.data_ptr_float()).put(values);
    return t;
  }

  /** A 1-d float64 tensor (on CPU) owning a copy of {@code values}. */
  public static Tensor doubles(double... values) {
    Tensor t =
        torch.empty(
            new long[] {values.length},
            new TensorOptions().dtype(new ScalarTypeOptional(torch.ScalarType.Double)),
            null);
    if (values.length > 0) t.data_ptr_double().put(values);
    return t;
  }

  /** All elements as float, in row-major order (any dtype, any device). */
  public static float[] toFloats(Tensor t) {
    Tensor c = t.detach().to(new Device("cpu"), torch.ScalarType.Float).contiguous();
    float[] out = new float[(int) c.numel()];
    if (out.length > 0) c.data_ptr_float().get(out);
    return out;
  }

  /** All elements as double, in row-major order. */
  public static double[] toDoubles(Tensor t) {
    Tensor c = t.detach().to(new Device("cpu"), torch.ScalarType.Double).contiguous();
    double[] out = new double[(int) c.numel()];
    if (out.length > 0) c.data_ptr_double().get(out);
    return out;
  }

  /** All elements as long, in row-major order. */
  public static long[] toLongs(Tensor t) {
    Tensor c = t.detach().to(new Device("cpu"), torch.ScalarType.Long).contiguous();
    long[] out = new long[(int) c.numel()];
    if (out.length > 0) c.data_ptr_long().get(out);
    return out;
  }

  public static long[] shape(Tensor t) {
    long[] s = new long[(int) t.dim()];
    for (int i = 0; i < s.length; i++) s[i] = t.size(i);
    return s;
  }
}
