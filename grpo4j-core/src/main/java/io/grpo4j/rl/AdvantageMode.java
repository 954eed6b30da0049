package io.grpo4j.rl;

/**
 * How token rewards become advantages ({@code rl.advantage.mode}); see {@link Advantages} for the
 * exact formulas.
 */
public enum AdvantageMode implements ConfigName {
  /** The seed's default: δ_t = r_t − r̄_g with one baseline per group, clipped to [−c, c]. */
  TOKEN_RELATIVE,
  /** Standard GRPO: one advantage per completion from its total reward, broadcast to its tokens. */
  SEQUENCE,
  /** Per-token return-to-go with a per-position group baseline, clipped to [−c, c]. */
  RETURN_TO_GO,
  /**
   * Per-prefix baseline: δ_t = V̂(s_t + a_t) − V̂(s_t) from the group's outcomes through each
   * prefix, optionally plus a share of the sequence term.
   */
  PREFIX,
  /** The sequence advantage plus w × the group-normalised token process reward. */
  HYBRID;

  /** Parses the config spelling (case-insensitive; '-' accepted for '_'). */
  public static AdvantageMode parse(String name) {
    return ConfigName.parse(AdvantageMode.class, "rl.advantage.mode", name);
  }
}
