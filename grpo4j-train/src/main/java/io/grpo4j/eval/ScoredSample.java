package io.grpo4j.eval;

import io.grpo4j.generate.Sample;
import io.grpo4j.task.Outcome;

/**
 * A sample with its verdict: the decoded text, the token rewards pref_t (the verifier's prefix
 * score differences, summing to the outcome reward) and the outcome.
 */
public record ScoredSample(Sample sample, String text, double[] tokenRewards, Outcome outcome) {

  public double totalTokenReward() {
    double s = 0;
    for (double r : tokenRewards) s += r;
    return s;
  }
}
