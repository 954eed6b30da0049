package io.grpo4j.generate;

import java.util.List;

/**
 * The result of one batched masked-diffusion generation ({@link DiffusionSampler}): {@code n}
 * samples per prompt in prompt order (a GRPO group is a run of consecutive rows).
 *
 * @param steps T, the denoising steps every sample took
 * @param promptTokens prompt tokens over all rows
 * @param seconds wall time of the generation
 */
public record DiffusionRollout(
    List<DiffusionSample> samples, int steps, long promptTokens, double seconds) {
  public DiffusionRollout {
    samples = List.copyOf(samples);
  }

  /** Generated positions over all rows (L per row, the answer and what follows it). */
  public long completionTokens() {
    long n = 0;
    for (DiffusionSample s : samples) n += s.length();
    return n;
  }
}
