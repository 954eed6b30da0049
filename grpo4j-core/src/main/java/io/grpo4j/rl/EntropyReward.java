package io.grpo4j.rl;

import static io.grpo4j.torch.Ops.mul;

import org.bytedeco.pytorch.Tensor;

/**
 * The token reward of GTPO / GRPO-S (arXiv:2508.04349): the verifier's preference signal plus an
 * entropy bonus that pays the policy for staying uncertain where it is still exploring.
 *
 * <pre>r_t = α·pref_t + β·H(π(·|s_t))</pre>
 *
 * {@code pref_t = score(prefix ≤ t) − score(prefix < t)} is the validator's prefix-score
 * difference; H is the entropy of the sampling distribution at step t, taken as a constant (it is
 * detached: the entropy shapes the reward, it is not a differentiable regulariser). Padding
 * positions get r = 0.
 *
 * <p>This record is also the run config's {@code rl.entropy} section, checked once, here; each
 * key's default, and why, is the constant named after it.
 *
 * @param alpha α, weight of the preference reward ({@code rl.entropy.alpha}, {@link #ALPHA})
 * @param beta β, weight of the entropy reward; 0 disables it ({@code rl.entropy.beta}, {@link
 *     #BETA})
 */
public record EntropyReward(double alpha, double beta) {
  /** Default {@code rl.entropy.alpha}: the verifier's signal as it is. */
  public static final double ALPHA = 1.0;

  /**
   * Default {@code rl.entropy.beta}: off, GTPO's entropy bonus is a research knob; on the tiny
   * model it rewarded rambling.
   */
  public static final double BETA = 0.0;

  /** The defaults above, the run config's {@code rl.entropy} section unless it is set. */
  public static final EntropyReward DEFAULTS = new EntropyReward(ALPHA, BETA);

  public EntropyReward {
    if (!Double.isFinite(alpha) || !Double.isFinite(beta)) {
      throw new IllegalArgumentException(
          "rl.entropy.alpha and rl.entropy.beta must be finite numbers, got alpha="
              + alpha
              + ", beta="
              + beta);
    }
  }

  /**
   * @param prefixReward {@code [B, T]} the verifier's prefix reward pref_t
   * @param entropy {@code [B, T]} H_t, e.g. the rollout's entropies (computed in {@code Sampler})
   * @param mask {@code [B, T]} completion mask
   * @return r {@code [B, T]}, zero on padding, no gradient
   */
  public Tensor tokenRewards(Tensor prefixReward, Tensor entropy, Tensor mask) {
    Shapes.requireDim("prefixReward", prefixReward, 2);
    Shapes.requireSameShape("entropy", entropy, "prefixReward", prefixReward);
    Shapes.requireSameShape("mask", mask, "prefixReward", prefixReward);
    Tensor h = entropy.detach().to(prefixReward.scalar_type());
    Tensor r = mul(prefixReward.detach(), alpha).add(mul(h, beta));
    return r.mul(Shapes.maskLike(mask, r));
  }
}
