package io.grpo4j.rl;

import static io.grpo4j.torch.Ops.clampMin;

import io.grpo4j.torch.Ops;
import org.bytedeco.pytorch.Tensor;

/**
 * Reductions of a per-token tensor {@code x [B, T]} over the valid tokens of a completion {@code
 * mask [B, T]} (1 = real token, 0 = padding). Padding never contributes, whatever value it holds.
 * Empty selections divide by 1 instead of 0, so they yield 0 rather than NaN.
 */
public final class Masked {
  private Masked() {}

  /** Σ_{i,t} m_{i,t}·x_{i,t}, a 0-d tensor. */
  public static Tensor sum(Tensor x, Tensor mask) {
    Shapes.requireSameShape("mask", mask, "x", x);
    return x.mul(Shapes.maskLike(mask, x)).sum();
  }

  /** Σ m·x / max(Σ m, 1): the mean over all valid tokens of the batch, a 0-d tensor. */
  public static Tensor mean(Tensor x, Tensor mask) {
    Shapes.requireSameShape("mask", mask, "x", x);
    Tensor m = Shapes.maskLike(mask, x);
    return x.mul(m).sum().div(clampMin(m.sum(), 1.0));
  }

  /** Per-row sum Σ_t m_{i,t}·x_{i,t}, shape {@code [B]}. */
  public static Tensor rowSum(Tensor x, Tensor mask) {
    Shapes.requireSameShape("mask", mask, "x", x);
    return Ops.sum(x.mul(Shapes.maskLike(mask, x)), false, 1);
  }

  /** Per-row mean Σ_t m·x / max(Σ_t m, 1), shape {@code [B]}; 0 for rows without tokens. */
  public static Tensor rowMean(Tensor x, Tensor mask) {
    Tensor m = Shapes.maskLike(mask, x);
    return rowSum(x, mask).div(clampMin(count(m, 1), 1.0));
  }

  /** Number of valid tokens Σ m, a 0-d tensor in the mask's dtype. */
  public static Tensor count(Tensor mask) {
    return mask.sum();
  }

  static Tensor count(Tensor mask, long dim) {
    return Ops.sum(mask, false, dim);
  }
}
