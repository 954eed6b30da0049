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
  HYBRID,
  /**
   * Prefix-tree rollouts ({@code sampling.tree}): the tokens of the segment from node u to its
   * child v get V(v) − V(u), V a node's mean leaf reward.
   */
  TREE,
  /**
   * VinePPO-style Monte-Carlo prefix values: K continuations from each segment boundary estimate
   * V̂(s_b); the tokens of segment j get V̂(s_{j+1}) − V̂(s_j).
   */
  MC_PREFIX;

  /** Parses the config spelling (case-insensitive; '-' accepted for '_'). */
  public static AdvantageMode parse(String name) {
    return ConfigName.parse(AdvantageMode.class, "rl.advantage.mode", name);
  }
}
