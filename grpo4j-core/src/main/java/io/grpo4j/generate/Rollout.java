package io.grpo4j.generate;

import java.util.List;

/**
 * The result of one batched generation: {@code n} samples for each prompt, in prompt order (samples
 * of prompt p are rows p·n … p·n+n−1, so a GRPO group is a run of consecutive rows).
 */
public record Rollout(
    List<Sample> samples, long promptTokens, double prefillSeconds, double decodeSeconds) {
  public Rollout {
    samples = List.copyOf(samples);
  }

  public long completionTokens() {
    long n = 0;
    for (Sample s : samples) n += s.length();
    return n;
  }
}
