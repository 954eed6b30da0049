package io.grpo4j.rl;

import java.util.Locale;

/** How the KL terms are computed ({@code rl.kl.estimator}); see {@link KlPenalty}. */
public enum KlEstimator {
  /** Exact sums over the whole vocabulary from both distributions' logits (the default). */
  EXACT("exact"),
  /** Schulman's k3-style single-sample estimators at the sampled token (for huge vocabularies). */
  K3("k3");

  /** The spelling in config files. */
  public final String configName;

  KlEstimator(String configName) {
    this.configName = configName;
  }

  /** Parses the config spelling (case-insensitive). */
  public static KlEstimator parse(String name) {
    if (name != null) {
      String n = name.trim().toLowerCase(Locale.ROOT);
      for (KlEstimator e : values()) {
        if (e.configName.equals(n)) return e;
      }
    }
    throw new IllegalArgumentException(
        "rl.kl.estimator: unknown value '" + name + "', expected one of exact, k3");
  }
}
