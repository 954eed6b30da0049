package io.grpo4j.generate;

/**
 * One sampled completion.
 *
 * @param promptIndex which prompt of the batch it continues
 * @param completionIds the sampled ids, the stop token included when it ended on one
 * @param logprobs log-probability of each sampled id under the sampling distribution (after
 *     temperature / top-k / top-p); under the model's own distribution when greedy
 * @param entropies entropy (nats) of that distribution at each step
 */
public record Sample(
    int promptIndex,
    int[] promptIds,
    int[] completionIds,
    float[] logprobs,
    float[] entropies,
    FinishReason finishReason) {

  public enum FinishReason {
    /** Ended on a stop token. */
    STOP,
    /** Reached max_new_tokens. */
    LENGTH;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public int length() {
    return completionIds.length;
  }
}
