package io.grpo4j.rl;

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

  /**
   * The floating type to compute softmax statistics in: float64 stays float64, everything else
   * (bf16/f16/f32) is computed in float32 — log-probabilities in bf16 are only good to ~0.05 nats.
   */
  static Tensor asComputeFloat(Tensor logits) {
    ScalarType t = dtype(logits);
    if (t == ScalarType.Double || t == ScalarType.Float) return logits;
    return logits.to(ScalarType.Float);
  }

  /** The mask as 0/1 values in the dtype of {@code like} (accepts bool, integer or float masks). */
  static Tensor maskLike(Tensor mask, Tensor like) {
    ScalarType want = dtype(like);
    return dtype(mask) == want ? mask : mask.to(want);
  }

  /**
   * The tensor's dtype as the canonical enum constant: JavaCPP's {@code scalar_type()} returns a
   * fresh enum object each call, so {@code ==} against {@code ScalarType.Float} only works after
   * {@code intern()}.
   */
  static ScalarType dtype(Tensor t) {
    return t.scalar_type().intern();
  }
}
