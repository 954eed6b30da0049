package io.grpo4j.torch;

import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;

/**
 * Tensor-with-number arithmetic without JavaCPP's wrapper objects ({@code Scalar}, {@code
 * ScalarOptional}, ...), so that maths elsewhere reads like its formula. Each helper is exactly the
 * one libtorch call its doc names: nothing is fused or reordered, results are bit-identical to
 * writing the call out.
 */
public final class Ops {
  private Ops() {}

  /** A libtorch number. */
  public static Scalar scalar(double x) {
    return new Scalar(x);
  }

  /** t + x ({@code Tensor.add(Scalar)}). */
  public static Tensor add(Tensor t, double x) {
    return t.add(scalar(x));
  }

  /** t − x ({@code Tensor.sub(Scalar)}). */
  public static Tensor sub(Tensor t, double x) {
    return t.sub(scalar(x));
  }

  /** t·x ({@code Tensor.mul(Scalar)}). */
  public static Tensor mul(Tensor t, double x) {
    return t.mul(scalar(x));
  }

  /** t / x ({@code Tensor.div(Scalar)}). */
  public static Tensor div(Tensor t, double x) {
    return t.div(scalar(x));
  }

  /** min(max(t, lo), hi) elementwise ({@code Tensor.clamp}). */
  public static Tensor clamp(Tensor t, double lo, double hi) {
    return t.clamp(new ScalarOptional(scalar(lo)), new ScalarOptional(scalar(hi)));
  }

  /** max(t, lo) elementwise ({@code Tensor.clamp_min}). */
  public static Tensor clampMin(Tensor t, double lo) {
    return t.clamp_min(scalar(lo));
  }

  /** t &gt; x elementwise, a bool tensor. */
  public static Tensor gt(Tensor t, double x) {
    return t.gt(scalar(x));
  }

  /** t &lt; x elementwise, a bool tensor. */
  public static Tensor lt(Tensor t, double x) {
    return t.lt(scalar(x));
  }

  /** Σ over {@code dims}, in t's dtype; {@code keepDim} keeps them as size 1. */
  public static Tensor sum(Tensor t, boolean keepDim, long... dims) {
    return t.sum(dims, keepDim, new ScalarTypeOptional());
  }

  /** Mean over {@code dims}, in t's dtype; {@code keepDim} keeps them as size 1. */
  public static Tensor mean(Tensor t, boolean keepDim, long... dims) {
    return t.mean(dims, keepDim, new ScalarTypeOptional());
  }

  /**
   * Accumulates ∂(Σ grad·t)/∂leaf into the leaves' {@code .grad} ({@code t.backward(grad)}; an
   * undefined {@code new Tensor()} grad means 1 for a 0-d t), freeing the graph.
   */
  public static void backward(Tensor t, Tensor grad) {
    t.backward(grad, new BoolOptional(false), false, new TensorArrayRefOptional());
  }
}
