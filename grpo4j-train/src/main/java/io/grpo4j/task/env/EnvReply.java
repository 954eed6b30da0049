package io.grpo4j.task.env;

import java.util.Arrays;

/**
 * An environment's answer to one {@link EnvRequest}: go on with an observation, end the episode
 * with a reward, or an infrastructure failure (the program timed out, crashed, answered malformed
 * or with {@code error}). A failure is not a reward of 0: the episode's group leaves the training
 * step, counted ({@code env/failures}).
 *
 * @param observation the text to append to the context (observation replies), else null
 * @param role under {@code prompt_style: chat}, the message role the observation is rendered as:
 *     {@code tool}, {@code user}, or null for the default ({@code tool} after a model turn with a
 *     tool call, else {@code user})
 * @param done true when the episode ends here
 * @param reward the episode's reward (done replies)
 * @param success whether the episode counts as solved (done replies)
 * @param turnScores optional cumulative scores, one per model turn (done replies), else null
 * @param reason a short text for samples and logs, or the failure's cause
 * @param failed true for an infrastructure failure
 */
public record EnvReply(
    String observation,
    String role,
    boolean done,
    double reward,
    boolean success,
    double[] turnScores,
    String reason,
    boolean failed) {

  public EnvReply {
    reason = reason == null ? "" : reason;
    if (!failed && !done && observation == null) {
      throw new IllegalArgumentException("a reply goes on with an observation or is done");
    }
    if (done && !Double.isFinite(reward)) {
      throw new IllegalArgumentException("reward must be finite, got " + reward);
    }
    turnScores = turnScores == null ? null : turnScores.clone();
  }

  /** Go on: append {@code text} and let the model take its next turn. */
  public static EnvReply observation(String text) {
    return new EnvReply(text, null, false, 0, false, null, "", false);
  }

  /** Go on, rendered as a chat message of {@code role} under {@code prompt_style: chat}. */
  public static EnvReply observation(String text, String role) {
    return new EnvReply(text, role, false, 0, false, null, "", false);
  }

  /** End the episode. */
  public static EnvReply done(double reward, boolean success, double[] turnScores, String reason) {
    return new EnvReply(null, null, true, reward, success, turnScores, reason, false);
  }

  /** An infrastructure failure with its cause. */
  public static EnvReply failure(String why) {
    return new EnvReply(null, null, false, 0, false, null, why, true);
  }

  @Override
  public String toString() {
    if (failed) return "EnvReply[failed: " + reason + "]";
    if (done)
      return "EnvReply[done, reward "
          + reward
          + ", success "
          + success
          + (turnScores == null ? "" : ", turn_scores " + Arrays.toString(turnScores))
          + "]";
    return "EnvReply[observation " + observation + "]";
  }
}
