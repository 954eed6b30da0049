package io.grpo4j.task;

/**
 * Judges answers of one task. It scores any <em>prefix</em> of an answer, so the trainer can turn
 * prefix scores at token boundaries into token rewards (see {@link TokenRewards}), and it judges a
 * finished completion.
 *
 * <p>Contract for implementations: never throw on any text (model output is arbitrary), run in time
 * linear in the text length (it is called at every token boundary), score the empty prefix 0, and
 * keep {@code outcome(p, t).reward()} equal to {@code score(p, t).value()} whenever {@code score(p,
 * t).complete()} is true.
 *
 * @param <D> the task's problem data
 */
public interface Verifier<D> {

  /** Scores a prefix of a completion that may still continue. */
  PrefixScore score(Problem<D> problem, CharSequence prefix);

  /** Judges a completion that has ended (stop token, end of text). */
  Outcome outcome(Problem<D> problem, CharSequence completion);
}
