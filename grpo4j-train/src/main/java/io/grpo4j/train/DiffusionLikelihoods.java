package io.grpo4j.train;

import io.grpo4j.model.MaskedDiffusionModel;
import io.grpo4j.rl.KlPenalty;
import io.grpo4j.rl.TokenLogProbs;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * The two ways the probe scores a masked-diffusion policy's log-likelihood of its own completions
 * ({@link io.grpo4j.rl.DiffusionLikelihood}), per generated position k of each row, at temperature
 * τ (the policy is softmax(logits/τ), as the autoregressive trainer's):
 *
 * <pre>
 * E2 (trajectory):  ℓ_k = log p_θ(y_k | x, z_{s(k)−1})         one pass per denoising step s
 * E1 (one step):    ℓ_k = log p_θ(y_k | x̃, [MASK]^L)          one pass, x̃ = prompt with tokens masked at rate p
 * </pre>
 *
 * Σ_k ℓ_k under E2 is exactly log π_θ(τ) of a random-order trajectory; under E1 it is d1's
 * mean-field estimate of log π_θ(y | x). Gradients flow when the caller's mode allows them.
 */
final class DiffusionLikelihoods {
  private DiffusionLikelihoods() {}

  /** logits/τ (the policy's logits at temperature τ). */
  static Tensor tempered(Tensor logits, double tau) {
    return tau == 1.0 ? logits : logits.div(new Scalar(tau));
  }

  /** Logits [rows, L, V] of the generated positions of input {@code ids}. */
  static Tensor logits(MaskedDiffusionModel m, DiffusionBatch b, Tensor ids, Tensor valid) {
    return m.logits(ids, valid, b.width, b.len);
  }

  /** E2: [rows, L], each position's log-prob at its own commit state. */
  static Tensor trajectory(MaskedDiffusionModel m, DiffusionBatch b, int steps, double tau) {
    Tensor valid = b.valid();
    Tensor tokens = b.tokens();
    Tensor out = null;
    for (int s = 1; s <= steps; s++) {
      Tensor lp =
          TokenLogProbs.of(tempered(logits(m, b, b.stateIds(s), valid), tau), tokens)
              .mul(b.stepMask(s));
      out = out == null ? lp : out.add(lp);
    }
    return out;
  }

  /** E1: [rows, L], every position's log-prob from the all-[MASK] state, prompt masked at p. */
  static Tensor oneStep(
      MaskedDiffusionModel m, DiffusionBatch b, double promptMask, Generator gen, double tau) {
    return TokenLogProbs.of(
        tempered(logits(m, b, b.oneStepIds(promptMask, gen), b.valid()), tau), b.tokens());
  }

  /**
   * Exact per-position KL(π‖π_ref) and KL(π_ref‖π) [rows, L] of the model's own distribution
   * (softmax of the logits, not tempered), each position at its commit state.
   */
  static KlPenalty.Terms trajectoryKl(
      MaskedDiffusionModel policy, MaskedDiffusionModel ref, DiffusionBatch b, int steps) {
    Tensor valid = b.valid();
    Tensor fwd = null;
    Tensor rev = null;
    for (int s = 1; s <= steps; s++) {
      Tensor ids = b.stateIds(s);
      KlPenalty.Terms t =
          KlPenalty.exact(logits(policy, b, ids, valid), logits(ref, b, ids, valid));
      Tensor m = b.stepMask(s);
      fwd = fwd == null ? t.forward().mul(m) : fwd.add(t.forward().mul(m));
      rev = rev == null ? t.reverse().mul(m) : rev.add(t.reverse().mul(m));
    }
    return new KlPenalty.Terms(fwd, rev);
  }
}
