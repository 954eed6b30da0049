package io.grpo4j.rl;

/**
 * Which advantage a masked-diffusion GRPO step puts on the tokens ({@code diffusion.advantage}).
 * Formulas in {@link StepAdvantages}.
 */
public enum DiffusionAdvantage implements ConfigName {
  /** A1: standard GRPO, the group-normalised outcome reward broadcast to every position. */
  SEQUENCE,
  /**
   * A2, MDPO's step delta (arXiv 2508.13148): R_s = the verifier's reward of the answer decoded
   * after step s (committed tokens, arg-max elsewhere); the step reward R_s − R_{s−1}, normalised
   * per step across the group, goes to the tokens committed at step s.
   */
  STEP_DELTA,
  /**
   * A3, the seed's wording: Φ(z) = the verifier's partial (prefix) score of a state's committed
   * text before its first [MASK]; the reward of step s is Φ(z_s) − Φ(z_{s−1}) — the end state of a
   * denoising pass against its start state — normalised per step across the group, on the tokens
   * committed at step s.
   */
  STATE_DELTA;

  /** Parses the config spelling. */
  public static DiffusionAdvantage parse(String name) {
    return ConfigName.parse(DiffusionAdvantage.class, "diffusion.advantage", name);
  }
}
