package io.grpo4j.task.reward;

import java.util.List;

/** Rewards could not be had for too long: the run must stop; the message says why. */
public final class RewardFailureException extends IllegalStateException {
  private final List<String> diagnostics;

  public RewardFailureException(String message, List<String> diagnostics) {
    super(
        diagnostics.isEmpty()
            ? message
            : message
                + "\nlast lines the reward program wrote to stderr:\n  "
                + String.join("\n  ", diagnostics));
    this.diagnostics = List.copyOf(diagnostics);
  }

  /** The reward program's last stderr lines (empty when there are none). */
  public List<String> diagnostics() {
    return diagnostics;
  }
}
