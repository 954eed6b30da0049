package io.grpo4j.generate;

/**
 * One token the {@link BatchEngine} produced for a completion.
 *
 * @param id the token id
 * @param logprob its log-probability under the model's distribution (temperature 1, no top-k/top-p
 *     filter), which is what OpenAI-style clients expect to read
 * @param topIds the most likely ids at this step, best first (empty unless asked for)
 * @param topLogprobs their log-probabilities, same order
 */
public record GeneratedToken(int id, float logprob, int[] topIds, float[] topLogprobs) {}
