package io.grpo4j.train;

import io.grpo4j.eval.ScoredSample;
import io.grpo4j.eval.Scoring;
import java.util.ArrayList;
import java.util.List;

/**
 * Drops the groups of a GRPO step whose reward requests failed. Advantages are relative within a
 * group, so a group with a missing reward cannot be scored fairly: all its G samples leave the step
 * (a failure is an infrastructure problem, not a reward of 0).
 *
 * @param kept the scored samples of the complete groups, in order, G per group, their prompt
 *     indices renumbered 0, 1, ... over the kept groups (batches index prompts densely)
 * @param failures failed reward requests ({@code reward/failures})
 * @param droppedGroups groups dropped ({@code reward/dropped_groups})
 * @param firstFailure the first failure's reason, or null
 */
public record RewardFailures(
    List<ScoredSample> kept, int failures, int droppedGroups, String firstFailure) {

  /** Splits results (G consecutive per group) into complete groups and counts the rest. */
  public static RewardFailures of(List<Scoring.Result> results, int g) {
    if (results.size() % g != 0) {
      throw new IllegalArgumentException(results.size() + " results are not groups of " + g);
    }
    List<ScoredSample> kept = new ArrayList<>(results.size());
    int failures = 0;
    int dropped = 0;
    String first = null;
    for (int group = 0; group < results.size() / g; group++) {
      List<Scoring.Result> members = results.subList(group * g, (group + 1) * g);
      long failed = members.stream().filter(Scoring.Result::failed).count();
      failures += (int) failed;
      if (failed > 0) {
        dropped++;
        if (first == null) {
          first = members.stream().filter(Scoring.Result::failed).findFirst().get().failure();
        }
        continue;
      }
      int renumbered = group - dropped; // the groups kept before this one
      for (Scoring.Result r : members) {
        ScoredSample x = r.scored();
        kept.add(
            new ScoredSample(
                x.sample().withPromptIndex(renumbered), x.text(), x.tokenRewards(), x.outcome()));
      }
    }
    return new RewardFailures(List.copyOf(kept), failures, dropped, first);
  }
}
