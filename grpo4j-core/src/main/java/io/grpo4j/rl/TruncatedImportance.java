package io.grpo4j.rl;

import io.grpo4j.torch.Ops;
import org.bytedeco.pytorch.Tensor;

/**
 * The sampler and the trainer are different numeric paths (bf16, CUDA graphs, fused kernels, int8
 * or another engine), so the tokens are drawn from π_sampler, not quite from π_old, the policy the
 * trainer computes at the same weights. Two tools for that gap:
 *
 * <pre>
 *   mismatch_t = |log π_sampler(a_t|s_t) − log π_old(a_t|s_t)|      (logprob_mismatch/mean|max)
 *   w_t        = min(π_old(a_t|s_t) / π_sampler(a_t|s_t), C)
 *              = min(exp(log π_old − log π_sampler), C)                (rl.tis_cap = C)
 *   L_t^TIS    = w_t · L_t                                              (L_t: PolicyLoss, ρ_t = π_θ/π_old)
 * </pre>
 *
 * Truncated importance sampling (TIS; Yao et al. 2025, as in verl and TRL): the policy-gradient
 * term of token t is reweighted by the detached ratio w_t, which corrects for sampling from
 * π_sampler instead of π_old, truncated at C so a token the sampler drew far more rarely than the
 * trainer would cannot dominate the batch. The KL terms are not reweighted (they are exact over the
 * vocabulary, not sampled estimates). With C = ∞ the weights are untruncated; {@code rl.tis_cap}
 * unset means no weights at all (L_t exactly as before).
 */
public final class TruncatedImportance {
  private TruncatedImportance() {}

  /**
   * w_t = min(exp(log π_old − log π_sampler), C), detached, in {@code oldLogProbs}' dtype.
   *
   * @param oldLogProbs log π_old(a_t|s_t) {@code [B, T]} as the trainer computes it
   * @param samplerLogProbs log π_sampler(a_t|s_t) {@code [B, T]} as the rollout recorded it
   * @param cap C ≥ 1 ({@code Double.POSITIVE_INFINITY}: no truncation)
   */
  public static Tensor weights(Tensor oldLogProbs, Tensor samplerLogProbs, double cap) {
    Shapes.requireSameShape("samplerLogProbs", samplerLogProbs, "oldLogProbs", oldLogProbs);
    requireCap(cap);
    Tensor ratio =
        oldLogProbs
            .detach()
            .sub(samplerLogProbs.detach().to(oldLogProbs.scalar_type()))
            .exp(); // π_old / π_sampler
    return Double.isInfinite(cap) ? ratio : ratio.clamp_max(Ops.scalar(cap));
  }

  /** |log π_sampler − log π_old| per token {@code [B, T]}, detached. */
  public static Tensor mismatch(Tensor oldLogProbs, Tensor samplerLogProbs) {
    Shapes.requireSameShape("samplerLogProbs", samplerLogProbs, "oldLogProbs", oldLogProbs);
    return oldLogProbs.detach().sub(samplerLogProbs.detach().to(oldLogProbs.scalar_type())).abs();
  }

  /** Checks {@code rl.tis_cap}: C ≥ 1 (a cap below 1 would down-weight every token). */
  public static void requireCap(double cap) {
    if (!(cap >= 1.0))
      throw new IllegalArgumentException(
          "rl.tis_cap must be >= 1 (or unset for no importance weights), got " + cap);
  }
}
