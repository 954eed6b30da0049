package io.grpo4j.generate;

import java.util.Set;

/**
 * How to pick each next token.
 *
 * @param temperature logits are divided by it before softmax; must be > 0 (ignored when greedy)
 * @param topK keep only the k most likely tokens; 0 = off
 * @param topP keep the smallest set of tokens whose probability reaches p; 1.0 = off
 * @param greedy take the arg-max instead of sampling
 * @param maxNewTokens completion length limit (finish reason {@code length})
 * @param stopTokenIds ids that end a completion; the stop token is part of the completion
 * @param seed seed of the sampling generator: same seed, model and prompts give the same tokens
 */
public record SamplingParams(
    double temperature,
    int topK,
    double topP,
    boolean greedy,
    int maxNewTokens,
    Set<Integer> stopTokenIds,
    long seed) {

  public SamplingParams {
    stopTokenIds = Set.copyOf(stopTokenIds);
    if (!greedy && !(temperature > 0))
      throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
    if (topK < 0) throw new IllegalArgumentException("top_k must be >= 0 (0 = off), got " + topK);
    if (!(topP > 0 && topP <= 1))
      throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
    if (maxNewTokens <= 0)
      throw new IllegalArgumentException("max_new_tokens must be > 0, got " + maxNewTokens);
  }

  /** Plain sampling at temperature 1: the sampling distribution is exactly the policy π. */
  public static SamplingParams sample(int maxNewTokens, Set<Integer> stops, long seed) {
    return new SamplingParams(1.0, 0, 1.0, false, maxNewTokens, stops, seed);
  }

  public static SamplingParams greedy(int maxNewTokens, Set<Integer> stops) {
    return new SamplingParams(1.0, 0, 1.0, true, maxNewTokens, stops, 0);
  }
}
