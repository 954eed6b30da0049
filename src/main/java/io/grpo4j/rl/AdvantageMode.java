package io.grpo4j.rl;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How token rewards become advantages ({@code rl.advantage.mode}); see {@link Advantages} for the
 * exact formulas.
 */
public enum AdvantageMode {
  /** The seed's default: δ_t = r_t − r̄_g with one baseline per group, clipped to [−c, c]. */
  TOKEN_RELATIVE("token_relative"),
  /** Standard GRPO: one advantage per completion from its total reward, broadcast to its tokens. */
  SEQUENCE("sequence"),
  /** Per-token return-to-go with a per-position group baseline, clipped to [−c, c]. */
  RETURN_TO_GO("return_to_go"),
  /**
   * Per-prefix baseline: δ_t = V̂(s_t + a_t) − V̂(s_t) from the group's outcomes through each
   * prefix, optionally plus a share of the sequence term.
   */
  PREFIX("prefix"),
  /** The sequence advantage plus w × the group-normalised token process reward. */
  HYBRID("hybrid");

  /** The spelling in config files and metrics. */
  public final String configName;

  AdvantageMode(String configName) {
    this.configName = configName;
  }

  /** Parses the config spelling (case-insensitive; '-' accepted for '_'). */
  public static AdvantageMode parse(String name) {
    if (name != null) {
      String n = name.trim().toLowerCase(Locale.ROOT).replace('-', '_');
      for (AdvantageMode m : values()) {
        if (m.configName.equals(n)) return m;
      }
    }
    throw new IllegalArgumentException(
        "rl.advantage.mode: unknown value '"
            + name
            + "', expected one of "
            + Arrays.stream(values()).map(m -> m.configName).collect(Collectors.joining(", ")));
  }
}
