package io.grpo4j.eval;

import java.util.List;

/**
 * The summary numbers of a held-out evaluation, shared by {@link EvalReport} (with the samples) and
 * the {@code eval} command's {@code Evaluation} (with KL drift and pass@k).
 *
 * @param prompts problems evaluated
 * @param samplesPerPrompt 1 for greedy, k when sampled
 * @param successRate fraction of samples that solved their problem
 * @param rewardPerPrompt mean verifier outcome reward per sample
 * @param rewardPerToken total token reward over total completion tokens
 * @param meanLength mean completion length in tokens
 */
public record EvalScores(
    int prompts,
    int samplesPerPrompt,
    double successRate,
    double rewardPerPrompt,
    double rewardPerToken,
    double meanLength) {

  /** The scores of {@code samples}, {@code k} per prompt of {@code prompts}. */
  static EvalScores of(int prompts, int k, List<ScoredSample> samples) {
    double success = 0;
    double reward = 0;
    double tokenReward = 0;
    long tokens = 0;
    for (ScoredSample s : samples) {
      if (s.outcome().success()) success++;
      reward += s.outcome().reward();
      tokenReward += s.totalTokenReward();
      tokens += s.sample().length();
    }
    int n = Math.max(1, samples.size());
    return new EvalScores(
        prompts,
        k,
        success / n,
        reward / n,
        tokens == 0 ? 0 : tokenReward / tokens,
        (double) tokens / n);
  }
}
