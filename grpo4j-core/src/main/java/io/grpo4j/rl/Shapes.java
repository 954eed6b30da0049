package io.grpo4j.rl;

import io.grpo4j.torch.DType;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Argument checks shared by the rl classes: wrong shapes fail with the argument's name, not deep in
 * libtorch.
 */
final class Shapes {
  private Shapes() {}

  static String of(Tensor t) {
    StringBuilder sb = new StringBuilder("[");
    for (long d = 0; d < t.dim(); d++) {
      if (d > 0) sb.append(", ");
      sb.append(t.size(d));
    }
    return sb.append(']').toString();
  }

  static void requireDim(String name, Tensor t, int dim) {
    if (t.dim() != dim) {
      throw new IllegalArgumentException(
          name + " must have " + dim + " dimensions, got shape " + of(t));
    }
  }

  /** Requires {@code t} to have the shape of {@code reference} ({@code [B, T]} usually). */
  static void requireSameShape(String name, Tensor t, String referenceName, Tensor reference) {
    if (!t.is_same_size(reference)) {
      throw new IllegalArgumentException(
          name + " has shape " + of(t) + " but " + referenceName + " has shape " + of(reference));
    }
  }

  /**
   * Requires logits {@code [B, T, V]} whose first two dimensions match {@code [B, T]} of {@code
   * tokens}.
   */
  static void requireLogitsFor(String name, Tensor logits, String tokensName, Tensor tokens) {
    requireDim(name, logits, 3);
    requireDim(tokensName, tokens, 2);
    if (logits.size(0) != tokens.size(0) || logits.size(1) != tokens.size(1)) {
      throw new IllegalArgumentException(
          name
              + " "
              + of(logits)
              + " does not match "
              + tokensName
              + " "
              + of(tokens)
              + " in [B, T]");
    }
  }

  /** The logits in {@link DType#computeFloat}: float64 stays float64, the rest computes in f32. */
  static Tensor asComputeFloat(Tensor logits) {
    ScalarType want = DType.computeFloat(logits.scalar_type());
    return DType.same(logits.scalar_type(), want) ? logits : logits.to(want);
  }

  /** The mask as 0/1 values in the dtype of {@code like} (accepts bool, integer or float masks). */
  static Tensor maskLike(Tensor mask, Tensor like) {
    ScalarType want = like.scalar_type();
    return DType.same(mask.scalar_type(), want) ? mask : mask.to(want);
  }
}
