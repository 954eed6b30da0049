package io.grpo4j.generate;

/**
 * One sampled completion, or one multi-turn episode: the model's turns with the environment's
 * observations between them ({@link EpisodeSampler}).
 *
 * @param promptIndex which prompt of the batch it continues
 * @param completionIds the ids after the prompt: the sampled ids, the stop token included when it
 *     ended on one; in an episode also the observations' ids
 * @param logprobs log-probability of each sampled id under the sampling distribution (after
 *     temperature / top-k / top-p); under the model's own distribution when greedy; 0 on
 *     observation ids
 * @param entropies entropy (nats) of that distribution at each step; 0 on observation ids
 * @param fromModel which ids the model sampled (true) and which an environment wrote (false, the
 *     observations: they stay in the context but get no loss); null when the model sampled all of
 *     them, as in every single-turn completion
 */
public record Sample(
    int promptIndex,
    int[] promptIds,
    int[] completionIds,
    float[] logprobs,
    float[] entropies,
    FinishReason finishReason,
    boolean[] fromModel) {

  public enum FinishReason {
    /** Ended on a stop token. */
    STOP,
    /** Reached max_new_tokens. */
    LENGTH;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public Sample {
    if (fromModel != null && fromModel.length != completionIds.length) {
      throw new IllegalArgumentException(
          "fromModel has " + fromModel.length + " entries for " + completionIds.length + " ids");
    }
  }

  /** A completion the model sampled entirely (single-turn). */
  public Sample(
      int promptIndex,
      int[] promptIds,
      int[] completionIds,
      float[] logprobs,
      float[] entropies,
      FinishReason finishReason) {
    this(promptIndex, promptIds, completionIds, logprobs, entropies, finishReason, null);
  }

  public int length() {
    return completionIds.length;
  }

  /** Whether completion id {@code i} was sampled by the model (not written by an environment). */
  public boolean isModelToken(int i) {
    return fromModel == null || fromModel[i];
  }

  /** Ids the model sampled: {@link #length()} less the observations'. */
  public int modelTokens() {
    if (fromModel == null) return completionIds.length;
    int n = 0;
    for (boolean b : fromModel) if (b) n++;
    return n;
  }

  /** Model turns: runs of model ids (1 for a single-turn completion with any token). */
  public int turns() {
    int n = 0;
    for (int i = 0; i < completionIds.length; i++) {
      if (isModelToken(i) && (i == 0 || !isModelToken(i - 1))) n++;
    }
    return n;
  }

  /** This sample as a continuation of prompt {@code index} of another batch. */
  public Sample withPromptIndex(int index) {
    return new Sample(
        index, promptIds, completionIds, logprobs, entropies, finishReason, fromModel);
  }
}
