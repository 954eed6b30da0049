package io.grpo4j.rl;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Test helpers: float64 tensors from Java arrays and back. */
final class T {
  private T() {}

  static Tensor of(double[][] rows) {
    int b = rows.length, t = rows[0].length;
    double[] flat = new double[b * t];
    for (int i = 0; i < b; i++) System.arraycopy(rows[i], 0, flat, i * t, t);
    return Tensor.create(flat, b, t);
  }

  static Tensor of(double[][][] x) {
    int b = x.length, t = x[0].length, v = x[0][0].length;
    double[] flat = new double[b * t * v];
    int k = 0;
    for (double[][] row : x) for (double[] pos : row) for (double d : pos) flat[k++] = d;
    return Tensor.create(flat, b, t, v);
  }

  static Tensor ids(long[][] rows) {
    int b = rows.length, t = rows[0].length;
    long[] flat = new long[b * t];
    for (int i = 0; i < b; i++) System.arraycopy(rows[i], 0, flat, i * t, t);
    return Tensor.create(flat, b, t);
  }

  static double[] flat(Tensor x) {
    Tensor c = x.detach().to(ScalarType.Double).contiguous();
    DoublePointer p = c.data_ptr_double();
    double[] out = new double[(int) c.numel()];
    p.get(out);
    return out;
  }

  static double[][] rows(Tensor x) {
    double[] f = flat(x);
    int b = (int) x.size(0), t = (int) x.size(1);
    double[][] out = new double[b][t];
    for (int i = 0; i < b; i++) System.arraycopy(f, i * t, out[i], 0, t);
    return out;
  }

  static double scalar(Tensor x) {
    return x.to(ScalarType.Double).item_double();
  }

  /** Asserts every element of the 2-D {@code actual} within 1e-9 of {@code expected}. */
  static void assertRows(Tensor actual, double[][] expected) {
    double[][] a = rows(actual);
    for (int i = 0; i < expected.length; i++) {
      for (int t = 0; t < expected[i].length; t++) {
        org.assertj.core.api.Assertions.assertThat(a[i][t])
            .as("row %d, t %d", i, t)
            .isCloseTo(expected[i][t], org.assertj.core.api.Assertions.within(1e-9));
      }
    }
  }
}
