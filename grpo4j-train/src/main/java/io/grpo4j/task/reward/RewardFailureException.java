package io.grpo4j.task.reward;

import java.util.List;

/** Rewards could not be had for too long: the run must stop; the message says why. */
public final class RewardFailureException extends IllegalStateException {
  public RewardFailureException(String message, List<String> diagnostics) {
    super(
        diagnostics.isEmpty()
            ? message
            : message
                + "\nlast lines the reward program wrote to stderr:\n  "
                + String.join("\n  ", diagnostics));
  }
}
