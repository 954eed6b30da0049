package io.grpo4j.task.reward;

import io.grpo4j.task.Outcome;
import io.grpo4j.task.PrefixScore;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Verifier;

/**
 * A reward source's verdict on one completion, or an infrastructure failure (the program timed out,
 * crashed, answered malformed, the service was unreachable). A failure is not a reward of 0: the
 * trainer drops the sample's group and counts it ({@code reward/failures}).
 *
 * @param reward the sequence reward (0 for a failure)
 * @param success whether the problem counts as solved
 * @param prefixScores optional scores of prefixes (null when the source reports none)
 * @param reason a short explanation for samples and logs; for a failure, what went wrong
 * @param failed true for an infrastructure failure
 */
public record Judgement(
    double reward, boolean success, PrefixScores prefixScores, String reason, boolean failed) {
  public Judgement {
    if (!Double.isFinite(reward)) {
      throw new IllegalArgumentException("reward must be finite, got " + reward);
    }
    reason = reason == null ? "" : reason;
  }

  /** A verdict without prefix scores. */
  public static Judgement of(double reward, boolean success, String reason) {
    return new Judgement(reward, success, null, reason, false);
  }

  /** An infrastructure failure with its cause. */
  public static Judgement failure(String reason) {
    return new Judgement(0, false, null, reason, true);
  }

  /** The verdict as the trainer's final {@link Outcome}. */
  public Outcome outcome() {
    if (failed) throw new IllegalStateException("a failed judgement has no outcome: " + reason);
    return new Outcome(reward, success, reason);
  }

  /**
   * This verdict as a {@link Verifier} of its own completion, so that {@link
   * io.grpo4j.task.TokenRewards#fromPrefixScores} turns it into token rewards: a prefix scores
   * {@link PrefixScores#at} (0 without prefix scores) and the finished completion scores {@link
   * #reward}, so the last token carries whatever the prefix scores left open.
   */
  public <D> Verifier<D> asVerifier() {
    Outcome outcome = outcome();
    return new Verifier<>() {
      @Override
      public PrefixScore score(Problem<D> problem, CharSequence prefix) {
        return new PrefixScore(
            prefixScores == null ? 0.0 : prefixScores.at(prefix), false, "prefix score");
      }

      @Override
      public Outcome outcome(Problem<D> problem, CharSequence completion) {
        return outcome;
      }
    };
  }
}
