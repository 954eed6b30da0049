package io.grpo4j.generate;

import java.util.List;

/**
 * The result of one batched generation: {@code n} samples for each prompt, in prompt order (samples
 * of prompt p are rows p·n … p·n+n−1, so a GRPO group is a run of consecutive rows).
 *
 * @param generatedTokens tokens the model actually decoded: the samples' lengths summed for
 *     independent samples; for prefix-tree rollouts ({@link Sampler#generateTree}) a prefix that
 *     several samples share counts once, and a leaf copied to fill its finished subtree once
 * @param segmentStarts for tree rollouts, each sample's branch points (the offsets in its
 *     completion where a new tree level began, d − 1 per sample, spare ones at its length); null
 *     for independent samples
 */
public record Rollout(
    List<Sample> samples,
    long promptTokens,
    double prefillSeconds,
    double decodeSeconds,
    long generatedTokens,
    List<int[]> segmentStarts) {
  public Rollout {
    samples = List.copyOf(samples);
    if (segmentStarts != null) {
      if (segmentStarts.size() != samples.size()) {
        throw new IllegalArgumentException(
            segmentStarts.size() + " segment starts for " + samples.size() + " samples");
      }
      segmentStarts = List.copyOf(segmentStarts);
    }
  }

  /** Independent samples: every sampled token was decoded once for its own sample. */
  public Rollout(
      List<Sample> samples, long promptTokens, double prefillSeconds, double decodeSeconds) {
    this(samples, promptTokens, prefillSeconds, decodeSeconds, tokens(samples), null);
  }

  /** The samples' lengths summed (shared tree prefixes count once per sample). */
  public long completionTokens() {
    return tokens(samples);
  }

  private static long tokens(List<Sample> samples) {
    long n = 0;
    for (Sample s : samples) n += s.length();
    return n;
  }
}
