package io.grpo4j.task;

/**
 * The final judgement of a whole completion (the text ended there).
 *
 * @param reward the sequence reward R used by GRPO's sequence advantage and reported as {@code
 *     reward/mean}
 * @param success whether the problem was solved (drives {@code success_rate})
 * @param reason a short human-readable explanation
 */
public record Outcome(double reward, boolean success, String reason) {
  public Outcome {
    if (!Double.isFinite(reward)) {
      throw new IllegalArgumentException("reward must be finite, got " + reward);
    }
  }
}
