package io.grpo4j.eval;

import java.util.List;

/**
 * Held-out evaluation of one model.
 *
 * @param scores success rate, rewards and length over {@code samples}
 * @param samples every scored sample, in prompt order
 */
public record EvalReport(EvalScores scores, List<ScoredSample> samples) {

  public EvalReport {
    samples = List.copyOf(samples);
  }

  static EvalReport of(int prompts, int k, List<ScoredSample> samples) {
    return new EvalReport(EvalScores.of(prompts, k, samples), samples);
  }
}
