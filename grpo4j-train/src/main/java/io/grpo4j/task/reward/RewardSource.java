package io.grpo4j.task.reward;

import java.util.List;

/**
 * Judges batches of finished completions: a built-in matcher, a program speaking JSON Lines, an
 * HTTP service, or a weighted combination of those.
 *
 * <p>Contract: {@code judge(batch).get(i)} is the verdict on {@code batch.get(i)}; infrastructure
 * problems (timeouts, crashes, malformed responses, unreachable services) come back as {@link
 * Judgement#failure} entries, never as exceptions, so one bad request does not lose a whole batch.
 */
public interface RewardSource extends AutoCloseable {

  /** Judges every request of a batch (ids unique within the batch). */
  List<Judgement> judge(List<RewardRequest> batch);

  /**
   * Recent diagnostics for an error message, e.g. the last lines a reward program wrote to stderr;
   * empty when there are none.
   */
  default List<String> diagnostics() {
    return List.of();
  }

  /** Stops programs and releases connections. */
  @Override
  default void close() {}
}
