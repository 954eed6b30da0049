package io.grpo4j.rl;

import static io.grpo4j.torch.Ops.clamp;
import static io.grpo4j.torch.Ops.gt;
import static io.grpo4j.torch.Ops.lt;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * PPO's clipped surrogate, per token (GRPO keeps it, without a critic):
 *
 * <pre>ρ_t = π_θ(a_t|s_t) / π_old(a_t|s_t) = exp(log π_θ − log π_old)
 * L_t = −min(ρ_t·A_t, clip(ρ_t, 1−ε_low, 1+ε_high)·A_t)</pre>
 *
 * The min makes the objective pessimistic: once the ratio has moved past the trust region in the
 * direction the advantage favours (ρ > 1+ε_high with A > 0, or ρ < 1−ε_low with A < 0), the clipped
 * branch is the minimum, it is constant in θ, and the token stops pulling. Moves in the unfavoured
 * direction are never clipped. ε_high > ε_low is DAPO's "clip-higher".
 *
 * <p>With truncated importance sampling ({@link TruncatedImportance}) each L_t is multiplied by a
 * detached weight w_t = min(π_old/π_sampler, C) before aggregation.
 *
 * @param epsilonLow ε_low ({@code rl.clip.low}, typically 0.2)
 * @param epsilonHigh ε_high ({@code rl.clip.high}, 0.2, or 0.28 as DAPO)
 * @param aggregation how L_t becomes a scalar
 */
public record PolicyLoss(double epsilonLow, double epsilonHigh, LossAggregation aggregation) {

  public PolicyLoss {
    if (!(epsilonLow >= 0 && epsilonLow < 1)) {
      throw new IllegalArgumentException("rl.clip.low must be in [0, 1), got " + epsilonLow);
    }
    if (!(epsilonHigh >= 0) || Double.isInfinite(epsilonHigh)) {
      throw new IllegalArgumentException(
          "rl.clip.high must be finite and >= 0, got " + epsilonHigh);
    }
    if (aggregation == null) throw new IllegalArgumentException("rl.aggregation must be set");
  }

  /**
   * @param loss the aggregated surrogate, 0-d, differentiable w.r.t. {@code logProbs}
   * @param perToken L_t {@code [B, T]} before aggregation (padding not yet masked)
   * @param clipRatio {@code clip_ratio}: fraction of valid tokens whose clipped branch is active,
   *     i.e. (A_t > 0 and ρ_t > 1+ε_high) or (A_t < 0 and ρ_t < 1−ε_low) — exactly the tokens whose
   *     gradient the clip sets to zero (as TRL's low/high clip ratios, summed)
   */
  public record Result(Tensor loss, Tensor perToken, double clipRatio) {}

  /**
   * @param logProbs log π_θ(a_t|s_t) {@code [B, T]} with gradient ({@link TokenLogProbs})
   * @param oldLogProbs log π_old(a_t|s_t) {@code [B, T]} from the rollout policy (detached here)
   * @param advantages A_t {@code [B, T]} ({@link Advantages})
   * @param mask completion mask {@code [B, T]}
   * @param maxCompletionLength C for {@link LossAggregation#CONSTANT}
   */
  public Result compute(
      Tensor logProbs,
      Tensor oldLogProbs,
      Tensor advantages,
      Tensor mask,
      long maxCompletionLength) {
    return compute(logProbs, oldLogProbs, advantages, mask, maxCompletionLength, null);
  }

  /**
   * {@link #compute(Tensor, Tensor, Tensor, Tensor, long)} with every L_t multiplied by {@code
   * weights} w_t {@code [B, T]} (detached here; {@link TruncatedImportance#weights}), or unweighted
   * when {@code weights} is null.
   */
  public Result compute(
      Tensor logProbs,
      Tensor oldLogProbs,
      Tensor advantages,
      Tensor mask,
      long maxCompletionLength,
      Tensor weights) {
    Shapes.requireDim("logProbs", logProbs, 2);
    Shapes.requireSameShape("oldLogProbs", oldLogProbs, "logProbs", logProbs);
    Shapes.requireSameShape("advantages", advantages, "logProbs", logProbs);
    Shapes.requireSameShape("mask", mask, "logProbs", logProbs);
    Tensor A = advantages.detach().to(logProbs.scalar_type());
    Tensor rho = logProbs.sub(oldLogProbs.detach().to(logProbs.scalar_type())).exp();
    Tensor rhoClipped = clamp(rho, 1.0 - epsilonLow, 1.0 + epsilonHigh);
    Tensor L = torch.minimum(rho.mul(A), rhoClipped.mul(A)).neg();
    if (weights != null) {
      Shapes.requireSameShape("weights", weights, "logProbs", logProbs);
      L = L.mul(weights.detach().to(logProbs.scalar_type()));
    }
    Tensor loss = aggregation.reduce(L, mask, maxCompletionLength);

    Tensor clippedHigh = gt(A, 0.0).logical_and(gt(rho, 1.0 + epsilonHigh));
    Tensor clippedLow = lt(A, 0.0).logical_and(lt(rho, 1.0 - epsilonLow));
    Tensor active = clippedHigh.logical_or(clippedLow).to(logProbs.scalar_type()).detach();
    double clipRatio = Masked.mean(active, mask).item_double();
    return new Result(loss, L, clipRatio);
  }
}
