package io.grpo4j.rl;

import org.bytedeco.pytorch.Tensor;

/**
 * Shannon entropy of the next-token distribution at every position:
 *
 * <pre>H(π(·|s_t)) = −Σ_v π(v|s_t)·log π(v|s_t),   π = softmax(logits)</pre>
 *
 * computed exactly over the whole vocabulary from {@code log_softmax} (never from {@code log} of a
 * softmax, which underflows to −∞ for improbable tokens). The entropy of the <em>sampling</em>
 * distribution needs the logits already divided by the sampling temperature.
 */
public final class Entropy {
  private Entropy() {}

  /**
   * @param logits {@code [B, T, V]} (any float dtype; bf16/f16 are computed in float32)
   * @return H {@code [B, T]}, differentiable w.r.t. {@code logits}; in nats, between 0 and log V
   */
  public static Tensor ofLogits(Tensor logits) {
    Shapes.requireDim("logits", logits, 3);
    Tensor logPi = Shapes.asComputeFloat(logits).log_softmax(-1);
    Tensor pi = logPi.exp();
    return pi.mul(logPi).sum(-1).neg();
  }
}
