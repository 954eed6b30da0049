package io.grpo4j.rl;

/**
 * Which policy-optimisation algorithm a run trains with ({@code rl.algorithm}).
 *
 * <p>{@link #GRPO}: G samples per prompt, group-relative advantages ({@link Advantages}), the
 * clipped surrogate ({@link PolicyLoss}) and the KL penalty ({@link KlPenalty}).
 *
 * <p>{@link #ASTAR_PO}: A*-PO (Brantley, Chen, Gao et al. 2025, arXiv:2505.20686): the optimal
 * value V̂*(x) estimated once, offline, from N samples of π_ref per training prompt, then one
 * sample per prompt and a least-squares regression of β2·log(π_θ/π_ref) on r − V̂*(x) ({@link
 * AStarPo}).
 */
public enum Algorithm implements ConfigName {
  GRPO,
  ASTAR_PO;

  /** Parses the config spelling (case-insensitive; '-' accepted for '_'). */
  public static Algorithm parse(String name) {
    return ConfigName.parse(Algorithm.class, "rl.algorithm", name);
  }
}
