package io.grpo4j.train;

import io.grpo4j.eval.ScoredSample;
import java.util.ArrayList;
import java.util.List;

/**
 * DAPO's dynamic sampling (Yu et al. 2025): of the oversampled groups, keep those whose G outcome
 * rewards are not all equal — a group of identical rewards has zero advantage under the
 * outcome-based modes and only adds KL and noise — up to the wanted number, in drawing order.
 */
final class DynamicSampling {
  private DynamicSampling() {}

  /**
   * @param scored G consecutive samples per group
   * @param groupSize G
   * @param wanted most groups to keep
   * @return the kept groups' samples, in order (at least one group: the first, when all groups are
   *     uniform)
   */
  static List<ScoredSample> keep(List<ScoredSample> scored, int groupSize, int wanted) {
    List<ScoredSample> out = new ArrayList<>();
    int groups = scored.size() / groupSize;
    for (int g = 0; g < groups && out.size() < wanted * groupSize; g++) {
      List<ScoredSample> group = scored.subList(g * groupSize, (g + 1) * groupSize);
      double first = group.get(0).outcome().reward();
      boolean varied = group.stream().anyMatch(s -> Math.abs(s.outcome().reward() - first) > 1e-9);
      if (varied) out.addAll(group);
    }
    if (out.isEmpty()) out.addAll(scored.subList(0, groupSize));
    return out;
  }
}
