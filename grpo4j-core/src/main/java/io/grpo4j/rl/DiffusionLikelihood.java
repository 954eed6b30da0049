package io.grpo4j.rl;

/**
 * How a masked-diffusion policy's log-likelihood of its own completion is scored in the GRPO loss
 * ({@code diffusion.likelihood}). A masked-diffusion model gives no left-to-right factorisation, so
 * log π_θ(y | x) has to be estimated; these are the two estimators the probe compares.
 */
public enum DiffusionLikelihood implements ConfigName {
  /**
   * E1, d1's one-step mean-field estimate (arXiv 2504.12216): one forward pass with the whole
   * completion masked and each prompt token masked with probability p; position k's term is log
   * p_θ(y_k | x̃, all [MASK]). Cheap (one pass), biased: it ignores the tokens committed before k.
   */
  ONE_STEP,
  /**
   * E2, the exact random-order trajectory likelihood: the sampler committed position k at step s(k)
   * from state z_{s(k)−1} in a model-independent order, so log π(τ) = Σ_k log p_θ(y_k | x,
   * z_{s(k)−1}) exactly; position k's term is that of its own commit state. One pass per denoising
   * step (T passes).
   */
  TRAJECTORY;

  /** Parses the config spelling. */
  public static DiffusionLikelihood parse(String name) {
    return ConfigName.parse(DiffusionLikelihood.class, "diffusion.likelihood", name);
  }
}
