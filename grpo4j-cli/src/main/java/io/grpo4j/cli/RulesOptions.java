package io.grpo4j.cli;

import io.grpo4j.task.countdown.Rules;
import picocli.CommandLine.Option;

/** The Countdown arithmetic rules a command generates, solves or scores under. */
final class RulesOptions {
  @Option(
      names = "--allow-negative",
      description = "Allow negative intermediate results (default: off).")
  boolean allowNegative;

  @Option(
      names = "--allow-zero",
      description = "Allow zero as an intermediate result (default: off).")
  boolean allowZero;

  /** The rules with the default magnitude bound. */
  Rules rules() {
    return new Rules(allowNegative, allowZero, Rules.DEFAULT_BOUND);
  }
}
