package io.grpo4j.rl;

import org.bytedeco.pytorch.Tensor;

/**
 * The masked-diffusion training loss (LLaDA's SFT objective, an upper bound on −log p_θ(y | x)): a
 * noise level t_i ~ U(0, 1] per row, each of the L completion positions masked with probability t_i
 * (the prompt never), and
 *
 * <pre>L = (1/B) Σ_i (1/L) Σ_k m_{i,k} · (−log p_θ(y_{i,k} | x_i, ỹ_i)) / t_i</pre>
 *
 * with m_{i,k} = 1 where position k was masked and ỹ_i the masked completion. Dividing by t_i
 * weighs the rarely-masked rows of small t up so the expectation over t is the ELBO's. The caller
 * draws t and the masks; this is the formula.
 */
public final class MaskedDiffusionLoss {
  private MaskedDiffusionLoss() {}

  /**
   * @param logits [B, L, V] of the completion positions of the masked rows
   * @param targets [B, L] int64, the clean completion y
   * @param masked [B, L], 1 where the position was masked (bool, integer or float)
   * @param noise [B] t_i in (0, 1]
   * @return the 0-d loss, differentiable w.r.t. {@code logits}
   */
  public static Tensor sft(Tensor logits, Tensor targets, Tensor masked, Tensor noise) {
    Shapes.requireLogitsFor("logits", logits, "targets", targets);
    Shapes.requireSameShape("masked", masked, "targets", targets);
    Shapes.requireDim("noise", noise, 1);
    if (noise.size(0) != targets.size(0))
      throw new IllegalArgumentException(
          "noise " + Shapes.of(noise) + " needs one t per row of targets " + Shapes.of(targets));
    Tensor nll = TokenLogProbs.of(logits, targets).neg(); // [B, L]
    Tensor m = Shapes.maskLike(masked, nll);
    Tensor perRow =
        nll.mul(m).sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional());
    long len = targets.size(1);
    return perRow
        .div(noise.to(nll.scalar_type()))
        .mean()
        .div(new org.bytedeco.pytorch.Scalar((double) len));
  }
}
