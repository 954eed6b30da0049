package io.grpo4j.rl;

import static io.grpo4j.torch.Ops.add;
import static io.grpo4j.torch.Ops.mul;
import static io.grpo4j.torch.Ops.sub;

import org.bytedeco.pytorch.Tensor;

/**
 * The trust region toward the frozen reference policy π_ref (KL-regularised RPG, Yu et al. 2025,
 * arXiv:2505.17508), per token:
 *
 * <pre>penalty_t = λ_F·KL(π_θ‖π_ref)(s_t) + λ_R·KL(π_ref‖π_θ)(s_t)
 * KL(π_θ‖π_ref) = Σ_v π_θ(v)·(log π_θ(v) − log π_ref(v))      ("forward" in grpo4j's names)
 * KL(π_ref‖π_θ) = Σ_v π_ref(v)·(log π_ref(v) − log π_θ(v))    ("reverse")</pre>
 *
 * {@link KlEstimator#EXACT} sums over the whole vocabulary: no sampling noise, and the true
 * gradient of each divergence w.r.t. the policy logits (for the reverse term it is π_θ − π_ref).
 * {@link KlEstimator#K3} uses only the sampled token a_t ~ π_θ, with r = π_ref(a_t)/π_θ(a_t):
 *
 * <pre>forward ≈ k3 = r − log r − 1          (E_{π_θ}[k3] = KL(π_θ‖π_ref))
 * reverse ≈ r·log r − r + 1              (E_{π_θ}[·]  = KL(π_ref‖π_θ))</pre>
 *
 * both unbiased and ≥ 0 per sample, but their gradients are not the KL gradients (the usual price
 * of k3); prefer EXACT unless the vocabulary makes it too expensive. π_ref is always detached.
 * Logits must be finite (no −∞ masking), and are computed in float32 when bf16/f16.
 *
 * @param lambdaForward λ_F ({@code rl.kl.forward})
 * @param lambdaReverse λ_R ({@code rl.kl.reverse})
 * @param estimator exact or k3 ({@code rl.kl.estimator})
 */
public record KlPenalty(double lambdaForward, double lambdaReverse, KlEstimator estimator) {

  public KlPenalty {
    if (!(lambdaForward >= 0) || Double.isInfinite(lambdaForward)) {
      throw new IllegalArgumentException(
          "rl.kl.forward must be finite and >= 0, got " + lambdaForward);
    }
    if (!(lambdaReverse >= 0) || Double.isInfinite(lambdaReverse)) {
      throw new IllegalArgumentException(
          "rl.kl.reverse must be finite and >= 0, got " + lambdaReverse);
    }
    if (estimator == null) throw new IllegalArgumentException("rl.kl.estimator must be set");
  }

  /** This penalty with both weights times {@code factor} (the KL controller's), same estimator. */
  public KlPenalty scaled(double factor) {
    return new KlPenalty(lambdaForward * factor, lambdaReverse * factor, estimator);
  }

  /** Per-token KL(π_θ‖π_ref) and KL(π_ref‖π_θ), each {@code [B, T]}, differentiable w.r.t. π_θ. */
  public record Terms(Tensor forward, Tensor reverse) {}

  /**
   * Both KL terms with this penalty's estimator.
   *
   * @param policyLogits π_θ logits {@code [B, T, V]} (with gradient)
   * @param refLogits π_ref logits {@code [B, T, V]} (detached here)
   * @param tokenIds sampled tokens {@code [B, T]}; only read by K3
   */
  public Terms terms(Tensor policyLogits, Tensor refLogits, Tensor tokenIds) {
    return switch (estimator) {
      case EXACT -> exact(policyLogits, refLogits);
      case K3 ->
          sampled(
              TokenLogProbs.of(policyLogits, tokenIds),
              TokenLogProbs.of(refLogits.detach(), tokenIds));
    };
  }

  /**
   * λ_F·forward + λ_R·reverse, per token {@code [B, T]}: add it to the policy loss before
   * aggregation.
   */
  public Tensor perToken(Terms terms) {
    return mul(terms.forward(), lambdaForward).add(mul(terms.reverse(), lambdaReverse));
  }

  /** Exact forward and reverse KL sharing one log_softmax of each side. */
  public static Terms exact(Tensor policyLogits, Tensor refLogits) {
    requireMatchingLogits(policyLogits, refLogits);
    Tensor logP = Shapes.asComputeFloat(policyLogits).log_softmax(-1);
    Tensor logQ = Shapes.asComputeFloat(refLogits.detach()).log_softmax(-1).to(logP.scalar_type());
    Tensor logRatio = logP.sub(logQ); // log π_θ − log π_ref
    Tensor forward = logP.exp().mul(logRatio).sum(-1);
    Tensor reverse = logQ.exp().mul(logRatio).sum(-1).neg();
    return new Terms(forward, reverse);
  }

  /**
   * Sampled estimators at the taken tokens, from log π_θ(a_t) and log π_ref(a_t) {@code [B, T]}:
   * forward k3 = r − log r − 1 and reverse r·log r − r + 1, with log r = log π_ref − log π_θ.
   */
  public static Terms sampled(Tensor logProbs, Tensor refLogProbs) {
    Shapes.requireDim("logProbs", logProbs, 2);
    Shapes.requireSameShape("refLogProbs", refLogProbs, "logProbs", logProbs);
    Tensor logR = refLogProbs.detach().to(logProbs.scalar_type()).sub(logProbs);
    Tensor r = logR.exp();
    Tensor forward = sub(r.sub(logR), 1.0);
    Tensor reverse = add(r.mul(logR).sub(r), 1.0);
    return new Terms(forward, reverse);
  }

  private static void requireMatchingLogits(Tensor policyLogits, Tensor refLogits) {
    Shapes.requireDim("policyLogits", policyLogits, 3);
    Shapes.requireSameShape("refLogits", refLogits, "policyLogits", policyLogits);
  }
}
