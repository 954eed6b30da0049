package io.grpo4j.task;

/**
 * The verifier's judgement of a completion prefix. Token rewards are differences of these values at
 * token boundaries, so a verifier that credits partial progress gives the learner a denser signal
 * than a single end-of-answer reward.
 *
 * @param value the score of the prefix; the empty prefix scores 0
 * @param complete true when no continuation of this prefix can change the value any more (the
 *     answer reached its goal, or it already made a fatal mistake)
 * @param reason a short human-readable explanation, for logs and {@code grpo4j score}
 */
public record PrefixScore(double value, boolean complete, String reason) {
  public PrefixScore {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("prefix score must be finite, got " + value);
    }
  }
}
