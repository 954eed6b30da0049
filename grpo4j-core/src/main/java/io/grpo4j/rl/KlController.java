package io.grpo4j.rl;

/**
 * Adaptive KL coefficient (Ziegler et al. 2019, "Fine-Tuning Language Models from Human
 * Preferences", as in PPO's adaptive KL): λ is nudged so that the measured KL tracks a target,
 * instead of being hand-tuned per model and task.
 *
 * <pre>e = clip(KL / KL_target − 1, −0.2, 0.2)
 * λ ← λ · (1 + e · n_steps / horizon)</pre>
 *
 * KL above target raises λ, below lowers it, by at most 20 % per {@code horizon} steps, and λ stays
 * within [λ_min, λ_max] (a floor, so that a stretch of low KL cannot switch the penalty off and let
 * noise drift the policy, and a ceiling, so that the penalty cannot swamp the policy-gradient
 * term). {@code n_steps} is how much experience the measurement covers (TRL passes the batch size).
 * Mutable on purpose: one instance lives for the run; {@link #value()} goes into checkpoints and
 * {@link #KlController(double, double, double, double, double)} restores it.
 */
public final class KlController {
  /** Largest relative correction per horizon: the proportional error is clipped to ±this. */
  public static final double MAX_ERROR = 0.2;

  private final double target;
  private final double horizon;
  private final double min;
  private final double max;
  private double lambda;

  /**
   * @param initialLambda λ at the start (or the checkpointed value), ≥ 0
   * @param target KL_target &gt; 0, per-token KL the run should sit at (e.g. 0.05)
   * @param horizon &gt; 0, steps over which a full ±20 % correction is applied
   * @param min λ_min ≥ 0, the floor
   * @param max λ_max ≥ λ_min (may be infinite), the ceiling
   */
  public KlController(double initialLambda, double target, double horizon, double min, double max) {
    requireLambda(initialLambda);
    if (!(min >= 0) || Double.isInfinite(min) || !(max >= min)) {
      throw new IllegalArgumentException(
          "KL coefficient bounds must satisfy 0 <= min <= max, got [" + min + ", " + max + "]");
    }
    this.min = min;
    this.max = max;
    if (!(target > 0) || Double.isInfinite(target)) {
      throw new IllegalArgumentException("rl.kl.target must be finite and > 0, got " + target);
    }
    if (!(horizon > 0) || Double.isInfinite(horizon)) {
      throw new IllegalArgumentException("rl.kl.horizon must be finite and > 0, got " + horizon);
    }
    this.lambda = initialLambda;
    this.target = target;
    this.horizon = horizon;
  }

  /** Sets λ to a checkpointed value (resume). */
  public void reset(double lambda) {
    this.lambda = requireLambda(lambda);
  }

  private static double requireLambda(double lambda) {
    if (!(lambda >= 0) || Double.isInfinite(lambda)) {
      throw new IllegalArgumentException("KL coefficient must be finite and >= 0, got " + lambda);
    }
    return lambda;
  }

  /** The current λ. */
  public double value() {
    return lambda;
  }

  /**
   * Applies one correction and returns the new λ.
   *
   * @param observedKl the KL measured on the last batch (non-finite values leave λ unchanged)
   * @param nSteps experience covered by that measurement, ≥ 0
   */
  public double update(double observedKl, double nSteps) {
    if (!(nSteps >= 0)) throw new IllegalArgumentException("nSteps must be >= 0, got " + nSteps);
    if (!Double.isFinite(observedKl)) return lambda;
    double e = Math.max(-MAX_ERROR, Math.min(MAX_ERROR, observedKl / target - 1.0));
    lambda = Math.min(max, Math.max(min, lambda * (1.0 + e * nSteps / horizon)));
    return lambda;
  }
}
