package io.grpo4j.task;

import io.grpo4j.task.reward.Judgement;
import java.util.Objects;

/**
 * A task's judgement of one finished completion, as the trainer consumes it: the {@link Outcome}
 * and a {@link Verifier} whose prefix scores give the token rewards ({@link TokenRewards}) — or an
 * infrastructure failure (a reward program timed out, crashed or answered malformed), which is not
 * a reward: the trainer drops the sample's group and counts it.
 *
 * @param outcome the verdict, null for a failure
 * @param prefixes scores prefixes of this completion, null for a failure
 * @param failure what went wrong, null when judged
 */
public record Verdict<D>(Outcome outcome, Verifier<D> prefixes, String failure) {
  public Verdict {
    if ((failure == null) == (outcome == null || prefixes == null)) {
      throw new IllegalArgumentException("a verdict has an outcome and prefixes, or a failure");
    }
  }

  /** The verifier's own verdict on a completion. */
  public static <D> Verdict<D> of(Verifier<D> verifier, Problem<D> problem, String completion) {
    return new Verdict<>(verifier.outcome(problem, completion), verifier, null);
  }

  /** A reward source's judgement: its outcome, its prefix scores, or its failure. */
  public static <D> Verdict<D> of(Judgement judgement) {
    Objects.requireNonNull(judgement, "judgement");
    return judgement.failed()
        ? new Verdict<>(null, null, judgement.reason())
        : new Verdict<>(judgement.outcome(), judgement.asVerifier(), null);
  }

  /** True for an infrastructure failure. */
  public boolean failed() {
    return failure != null;
  }
}
