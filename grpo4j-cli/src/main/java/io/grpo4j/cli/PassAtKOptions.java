package io.grpo4j.cli;

import picocli.CommandLine.Option;

/**
 * {@code --pass-k} and {@code --pass-problems}, shared by quickstart and sweep: how many answers
 * are sampled per held-out problem for the unbiased pass@1 and pass@K, and on how many problems.
 */
final class PassAtKOptions {
  @Option(
      names = "--pass-k",
      defaultValue = "8",
      description =
          "Samples per held-out problem (temperature 1) for the unbiased pass@1 and pass@K; 0 skips the sampled evaluation (default: ${DEFAULT-VALUE}).")
  int k;

  @Option(
      names = "--pass-problems",
      defaultValue = "200",
      description = "Held-out problems the sampled evaluation uses (default: ${DEFAULT-VALUE}).")
  int problems;

  /** K, checked: 0 (off) or at least 2. */
  int k() {
    if (k != 0 && k < 2) throw new IllegalArgumentException("--pass-k must be 0 or >= 2, got " + k);
    if (k != 0 && problems < 1)
      throw new IllegalArgumentException("--pass-problems must be >= 1, got " + problems);
    return k;
  }
}
