package io.grpo4j.task.reward;

import java.util.List;

/**
 * The {@code reward:} config section: where rewards come from and how external ones are called.
 *
 * <pre>{@code
 * reward:
 *   sources:
 *     - {type: command, command: "python3 reward.py", weight: 1.0}
 *     - {type: math, weight: 0.5}
 *   concurrency: 4
 *   timeout_s: 30
 * }</pre>
 *
 * Each key's default is the constant named after it.
 *
 * @param sources reward sources, combined as Σ weight·reward ({@link #SOURCES})
 * @param concurrency copies of each {@code command} program, and parallel POSTs of each {@code
 *     http} source ({@link #CONCURRENCY})
 * @param timeoutS seconds a program may stay silent while it has requests outstanding, and the
 *     limit of one POST ({@link #TIMEOUT_S})
 * @param retries extra tries of a POST after a connection error, timeout, 429 or 5xx ({@link
 *     #RETRIES})
 * @param retryBackoffS wait before the first retry, doubled for each further one ({@link
 *     #RETRY_BACKOFF_S})
 * @param maxFailedBatches batches in a row in which every request failed before the run stops with
 *     the program's last stderr lines ({@link #MAX_FAILED_BATCHES})
 */
public record RewardConfig(
    List<Source> sources,
    int concurrency,
    double timeoutS,
    int retries,
    double retryBackoffS,
    int maxFailedBatches) {

  /**
   * Default {@code reward.sources}: none; the task's own verifier is used, and a {@code jsonl} task
   * needs at least one.
   */
  public static final List<Source> SOURCES = List.of();

  /**
   * Default {@code reward.concurrency}: one per core of the small machines this project is measured
   * on.
   */
  public static final int CONCURRENCY = 2;

  /** Default {@code reward.timeout_s}. */
  public static final double TIMEOUT_S = 30;

  /** Default {@code reward.retries}. */
  public static final int RETRIES = 3;

  /** Default {@code reward.retry_backoff_s}. */
  public static final double RETRY_BACKOFF_S = 0.5;

  /**
   * Default {@code reward.max_failed_batches}: one restart is tolerated, a broken program is not.
   */
  public static final int MAX_FAILED_BATCHES = 3;

  /** The defaults above. */
  public static final RewardConfig DEFAULTS =
      new RewardConfig(
          SOURCES, CONCURRENCY, TIMEOUT_S, RETRIES, RETRY_BACKOFF_S, MAX_FAILED_BATCHES);

  public RewardConfig {
    sources = sources == null ? List.of() : List.copyOf(sources);
    if (concurrency < 1) {
      throw new IllegalArgumentException("reward.concurrency must be >= 1, got " + concurrency);
    }
    if (!(timeoutS > 0)) {
      throw new IllegalArgumentException("reward.timeout_s must be > 0, got " + timeoutS);
    }
    if (retries < 0) {
      throw new IllegalArgumentException("reward.retries must be >= 0, got " + retries);
    }
    if (!(retryBackoffS >= 0)) {
      throw new IllegalArgumentException(
          "reward.retry_backoff_s must be >= 0, got " + retryBackoffS);
    }
    if (maxFailedBatches < 1) {
      throw new IllegalArgumentException(
          "reward.max_failed_batches must be >= 1, got " + maxFailedBatches);
    }
    for (int i = 0; i < sources.size(); i++) {
      if (sources.get(i) == null) {
        throw new IllegalArgumentException("reward.sources[" + i + "] is empty");
      }
    }
  }

  /**
   * One reward source.
   *
   * @param type {@code exact}, {@code math}, {@code regex}, {@code format}, {@code command} or
   *     {@code http}
   * @param weight its weight in the sum ({@link #WEIGHT})
   * @param command the program's shell command line ({@code command} only)
   * @param url the service endpoint ({@code http} only)
   * @param pattern the regular expression ({@code regex}; optional for {@code format})
   * @param group the capturing group compared with the answer ({@code regex}; optional)
   */
  public record Source(
      String type, Double weight, String command, String url, String pattern, Integer group) {
    /** Default {@code weight} of a source: the reward as it is. */
    public static final double WEIGHT = 1.0;

    public Source {
      weight = weight == null ? WEIGHT : weight;
      if (!Double.isFinite(weight)) {
        throw new IllegalArgumentException("reward source weight must be finite, got " + weight);
      }
    }
  }
}
