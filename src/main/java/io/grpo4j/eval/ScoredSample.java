package io.grpo4j.eval;

import io.grpo4j.generate.Sample;
import io.grpo4j.model.Tokenizer;
import io.grpo4j.task.Outcome;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Task;
import java.util.List;
import java.util.Set;

/**
 * A sample with its verdict: the decoded text, the token rewards pref_t (the verifier's prefix
 * score differences, summing to the outcome reward) and the outcome.
 */
public record ScoredSample(Sample sample, String text, double[] tokenRewards, Outcome outcome) {

  /**
   * Scores one sample (see {@link Scoring#scoreAll}).
   *
   * @throws IllegalStateException if the task's reward request failed
   */
  public static <D> ScoredSample score(
      Task<D> task, Problem<D> problem, Sample s, Tokenizer tokenizer, Set<Integer> stops) {
    Scoring.Result r =
        Scoring.scoreAll(task, List.of(problem), List.of(s), tokenizer, stops).get(0);
    if (r.failed()) throw new IllegalStateException("reward failed: " + r.failure());
    return r.scored();
  }

  public double totalTokenReward() {
    double s = 0;
    for (double r : tokenRewards) s += r;
    return s;
  }
}
