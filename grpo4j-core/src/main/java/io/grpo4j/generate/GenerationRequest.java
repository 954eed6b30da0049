package io.grpo4j.generate;

/**
 * One request to the {@link BatchEngine}: {@code n} independent completions of one prompt.
 *
 * @param promptIds the prompt's token ids (at least one)
 * @param n completions wanted; they share the prompt's prefill. Completion c samples with seed
 *     {@code params.seed() + c}, so each is reproducible on its own, whatever else is running.
 * @param params sampling, length limit, stop ids and seed
 * @param topLogprobs how many of the most likely alternatives to report with each token (0 = none)
 * @param adapter the name of the engine's LoRA adapter to sample through, or null for the base
 *     model
 */
public record GenerationRequest(
    int[] promptIds, int n, SamplingParams params, int topLogprobs, String adapter) {
  /** A request to the base model. */
  public GenerationRequest(int[] promptIds, int n, SamplingParams params, int topLogprobs) {
    this(promptIds, n, params, topLogprobs, null);
  }

  public GenerationRequest {
    if (promptIds == null || promptIds.length == 0)
      throw new IllegalArgumentException("empty prompt: give at least one token");
    if (n <= 0) throw new IllegalArgumentException("n must be > 0, got " + n);
    if (topLogprobs < 0)
      throw new IllegalArgumentException("top logprobs must be >= 0, got " + topLogprobs);
    promptIds = promptIds.clone();
  }
}
