package io.grpo4j.generate;

import java.util.Arrays;
import java.util.Set;

/**
 * One completion of a masked-diffusion model ({@link DiffusionSampler}) and the trajectory that
 * produced it: the L tokens, and for each position the denoising step s ∈ 1..T at which it was
 * committed. The state before step s is therefore determined by the sample itself,
 *
 * <pre>z_{s−1}[k] = tokens[k] if commitStep[k] &lt; s, else [MASK]</pre>
 *
 * so the trajectory likelihood log π(τ) = Σ_s Σ_{k: commitStep[k] = s} log p(tokens[k] | x,
 * z_{s−1}) can be recomputed under any weights.
 *
 * @param promptIndex which prompt of the batch it answers
 * @param promptIds the prompt's ids
 * @param tokens the L generated ids (positions after the answer hold end-of-text ids or whatever
 *     was sampled there)
 * @param commitStep the step (1..T) at which each position was committed
 * @param logprobs log-probability of each token under the sampling distribution at its commit state
 *     (softmax(z/τ); the model's own softmax when greedy)
 * @param entropies entropy (nats) of that distribution
 * @param decodes when recorded: decodes[s] (s = 0..T) is the full sequence the model would answer
 *     after step s — the committed tokens and, at positions still masked, the arg-max of that
 *     step's prediction (decodes[0]: the arg-max of the first prediction, nothing committed;
 *     decodes[T] = tokens); null when not recorded
 */
public record DiffusionSample(
    int promptIndex,
    int[] promptIds,
    int[] tokens,
    int[] commitStep,
    float[] logprobs,
    float[] entropies,
    int[][] decodes) {

  public int length() {
    return tokens.length;
  }

  /** z_{s−1}: the generated positions as they stood before step {@code step} (1..T). */
  public int[] stateBefore(int step, int maskId) {
    int[] z = tokens.clone();
    for (int k = 0; k < z.length; k++) if (commitStep[k] >= step) z[k] = maskId;
    return z;
  }

  /**
   * The answer as an autoregressive {@link Sample} for scoring: the tokens up to and including the
   * first stop id (what follows it is not part of the answer), with their log-probs and entropies.
   */
  public Sample asSample(Set<Integer> stops) {
    int end = answerLength(tokens, stops);
    boolean stopped = end > 0 && stops.contains(tokens[end - 1]);
    return new Sample(
        promptIndex,
        promptIds,
        Arrays.copyOf(tokens, end),
        Arrays.copyOf(logprobs, end),
        Arrays.copyOf(entropies, end),
        stopped ? Sample.FinishReason.STOP : Sample.FinishReason.LENGTH);
  }

  /** Tokens of {@code ids} up to and including the first stop id (all of them when none). */
  public static int answerLength(int[] ids, Set<Integer> stops) {
    for (int k = 0; k < ids.length; k++) if (stops.contains(ids[k])) return k + 1;
    return ids.length;
  }
}
