package io.grpo4j.rl;

/** How the KL terms are computed ({@code rl.kl.estimator}); see {@link KlPenalty}. */
public enum KlEstimator implements ConfigName {
  /** Exact sums over the whole vocabulary from both distributions' logits (the default). */
  EXACT,
  /** Schulman's k3-style single-sample estimators at the sampled token (for huge vocabularies). */
  K3;

  /** Parses the config spelling (case-insensitive). */
  public static KlEstimator parse(String name) {
    return ConfigName.parse(KlEstimator.class, "rl.kl.estimator", name);
  }
}
