package io.grpo4j.task.reward;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code reward:} section made real: every source judges the batch, and a request's reward is
 * the weighted sum {@code R = Σ wᵢ·Rᵢ}; it counts as solved when every source says so; its prefix
 * scores are {@code Σ wᵢ·scoreᵢ(prefix)} (a source without prefix scores adds 0 to every prefix, so
 * its whole reward lands on the last token). If any source fails a request, the request fails.
 *
 * <p>After {@code max_failed_batches} batches in a row in which every request failed, {@link
 * #judge} throws {@link RewardFailureException} with the sources' last diagnostics (a reward
 * program's stderr): a broken program stops the run instead of silently training on nothing.
 */
public final class Rewards implements RewardSource {
  private final List<RewardSource> sources;
  private final double[] weights;
  private final int maxFailedBatches;
  private int failedBatches;

  /**
   * @param sources the sources, in config order
   * @param weights their weights
   * @param maxFailedBatches completely failed batches in a row before {@link #judge} throws
   */
  public Rewards(List<RewardSource> sources, double[] weights, int maxFailedBatches) {
    if (sources.isEmpty()) throw new IllegalArgumentException("reward.sources is empty");
    if (sources.size() != weights.length) throw new IllegalArgumentException("one weight each");
    this.sources = List.copyOf(sources);
    this.weights = weights.clone();
    this.maxFailedBatches = maxFailedBatches;
  }

  /**
   * Builds the sources of a config section.
   *
   * @param workDir the working directory of reward programs (null: the current directory)
   * @throws IllegalArgumentException naming {@code reward.sources[i]} and the problem
   */
  public static Rewards create(RewardConfig config, Path workDir) {
    List<RewardSource> built = new ArrayList<>();
    double[] weights = new double[config.sources().size()];
    try {
      for (int i = 0; i < config.sources().size(); i++) {
        RewardConfig.Source s = config.sources().get(i);
        weights[i] = s.weight();
        try {
          built.add(source(s, config, workDir));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("reward.sources[" + i + "]: " + e.getMessage(), e);
        }
      }
      return new Rewards(built, weights, config.maxFailedBatches());
    } catch (RuntimeException e) {
      built.forEach(RewardSource::close);
      throw e;
    }
  }

  private static RewardSource source(RewardConfig.Source s, RewardConfig config, Path workDir) {
    String type = s.type() == null ? "" : s.type().strip().toLowerCase(Locale.ROOT);
    Duration timeout = Duration.ofMillis(Math.round(config.timeoutS() * 1000));
    RewardSource source =
        switch (type) {
          case "exact" -> new ExactMatch();
          case "math" -> new MathMatch();
          case "regex" -> new RegexMatch(s.pattern(), s.group());
          case "format" -> new FormatCheck(s.pattern());
          case "command" -> new CommandReward(s.command(), config.concurrency(), timeout, workDir);
          case "http" ->
              new HttpReward(
                  s.url(),
                  config.concurrency(),
                  timeout,
                  config.retries(),
                  Duration.ofMillis(Math.round(config.retryBackoffS() * 1000)));
          default ->
              throw new IllegalArgumentException(
                  "type must be one of exact, math, regex, format, command, http; got '"
                      + s.type()
                      + "'");
        };
    return source;
  }

  @Override
  public List<Judgement> judge(List<RewardRequest> batch) {
    List<List<Judgement>> each = new ArrayList<>();
    for (RewardSource s : sources) each.add(s.judge(batch));
    List<Judgement> out = new ArrayList<>(batch.size());
    int failures = 0;
    for (int i = 0; i < batch.size(); i++) {
      Judgement j = combine(each, i);
      if (j.failed()) failures++;
      out.add(j);
    }
    failedBatches = !batch.isEmpty() && failures == batch.size() ? failedBatches + 1 : 0;
    if (failedBatches >= maxFailedBatches) {
      throw new RewardFailureException(
          "every reward request failed in "
              + failedBatches
              + " batches in a row (reward.max_failed_batches); last failure: "
              + out.get(out.size() - 1).reason(),
          diagnostics());
    }
    return out;
  }

  private Judgement combine(List<List<Judgement>> each, int i) {
    if (each.size() == 1 && weights[0] == 1.0) return each.get(0).get(i);
    double reward = 0;
    boolean success = true;
    boolean anyPrefix = false;
    PrefixScores[] prefix = new PrefixScores[each.size()];
    List<String> reasons = new ArrayList<>();
    for (int s = 0; s < each.size(); s++) {
      Judgement j = each.get(s).get(i);
      if (j.failed()) return j;
      reward += weights[s] * j.reward();
      success &= j.success();
      prefix[s] = j.prefixScores();
      anyPrefix |= prefix[s] != null;
      if (!j.reason().isEmpty()) reasons.add(j.reason());
    }
    return new Judgement(
        reward,
        success,
        anyPrefix ? PrefixScores.weightedSum(prefix, weights) : null,
        String.join("; ", reasons),
        false);
  }

  @Override
  public List<String> diagnostics() {
    List<String> out = new ArrayList<>();
    for (RewardSource s : sources) out.addAll(s.diagnostics());
    return out;
  }

  @Override
  public void close() {
    for (RewardSource s : sources) s.close();
  }
}
