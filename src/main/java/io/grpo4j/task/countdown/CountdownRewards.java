package io.grpo4j.task.countdown;

import java.util.Map;
import java.util.Set;

/**
 * The reward values of the Countdown verifiers, the config keys {@code countdown.reward.*}
 * (snake_case of the field names, see {@link #fromMap}).
 *
 * <p>Steps format: a prefix with k valid steps scores {@code min(k * stepValid, stepCreditMax)};
 * the first invalid step adds {@code stepInvalid} and freezes the score; reaching the target scores
 * {@code success} (it replaces the step credit, so every correct solution gets the same maximum
 * whatever its length). Because {@code stepCreditMax < success}, the prefix scores of a correct
 * solution never decrease.
 *
 * <p>Expression format (TinyZero): {@code expressionMissing} without a complete {@code
 * <answer>...</answer>}, {@code expressionWrong} for an answer that is there but wrong, {@code
 * success} for a correct one.
 *
 * @param stepValid credit per valid step (default 0.1: a dense hint that legal moves are good, ten
 *     valid steps are worth one success)
 * @param stepCreditMax cap on the summed step credit (default 0.5: half a success, so wandering
 *     through many legal moves never pays as much as solving)
 * @param stepInvalid added once at the first invalid step (default -0.2: a mistake costs more than
 *     the credit of one valid step, so guessing a line is worse than stopping)
 * @param success reward for reaching the target (default 1.0, as TinyZero)
 * @param expressionWrong expression format: well-formed answer that is wrong (default 0.1,
 *     TinyZero's format score)
 * @param expressionMissing expression format: no complete answer tag (default 0.0, TinyZero)
 * @param deadEnds steps format: a move that leaves the target unreachable (by brute force, from the
 *     remaining numbers within the remaining steps) is scored like an invalid step, at the token
 *     that made it so — also while its line is still open, once none of the line's possible
 *     completions keeps the target reachable (default true: the answer is decided in line 1, and
 *     without this a valid but hopeless first line earned +0.1; false restores plain step checking)
 */
public record CountdownRewards(
    double stepValid,
    double stepCreditMax,
    double stepInvalid,
    double success,
    double expressionWrong,
    double expressionMissing,
    boolean deadEnds) {

  /** The documented defaults. */
  public static final CountdownRewards DEFAULTS =
      new CountdownRewards(0.1, 0.5, -0.2, 1.0, 0.1, 0.0, true);

  private static final Set<String> KEYS =
      Set.of(
          "step_valid",
          "step_credit_max",
          "step_invalid",
          "success",
          "expression_wrong",
          "expression_missing",
          "dead_ends");

  public CountdownRewards {
    for (double v :
        new double[] {
          stepValid, stepCreditMax, stepInvalid, success, expressionWrong, expressionMissing
        }) {
      if (!Double.isFinite(v)) {
        throw new IllegalArgumentException(
            "countdown.reward.* values must be finite numbers, got " + v);
      }
    }
    if (stepValid < 0) {
      throw new IllegalArgumentException(
          "countdown.reward.step_valid must be >= 0, got " + stepValid);
    }
    if (stepInvalid > 0) {
      throw new IllegalArgumentException(
          "countdown.reward.step_invalid must be <= 0, got " + stepInvalid);
    }
    if (stepCreditMax < 0 || stepCreditMax >= success) {
      throw new IllegalArgumentException(
          "countdown.reward.step_credit_max must be in [0, success) so that a correct solution scores"
              + " the maximum, got "
              + stepCreditMax
              + " with success "
              + success);
    }
    if (expressionMissing > expressionWrong || expressionWrong >= success) {
      throw new IllegalArgumentException(
          "countdown.reward.expression_missing <= expression_wrong < success must hold, got "
              + expressionMissing
              + ", "
              + expressionWrong
              + ", "
              + success);
    }
  }

  /**
   * Builds rewards from config values keyed by snake_case names ({@code step_valid}, {@code
   * step_credit_max}, {@code step_invalid}, {@code success}, {@code expression_wrong}, {@code
   * expression_missing}, {@code dead_ends}); missing keys keep their defaults, unknown keys are an
   * error.
   */
  public static CountdownRewards fromMap(Map<String, ?> values) {
    ConfigValues c = new ConfigValues("countdown.reward.", values, KEYS);
    CountdownRewards d = DEFAULTS;
    return new CountdownRewards(
        c.number("step_valid", d.stepValid),
        c.number("step_credit_max", d.stepCreditMax),
        c.number("step_invalid", d.stepInvalid),
        c.number("success", d.success),
        c.number("expression_wrong", d.expressionWrong),
        c.number("expression_missing", d.expressionMissing),
        c.bool("dead_ends", d.deadEnds));
  }

  /** The same values with dead-end scoring switched on or off. */
  public CountdownRewards withDeadEnds(boolean on) {
    return new CountdownRewards(
        stepValid, stepCreditMax, stepInvalid, success, expressionWrong, expressionMissing, on);
  }

  /** The step credit of a prefix with {@code validSteps} valid steps. */
  public double stepCredit(int validSteps) {
    return Math.min(validSteps * stepValid, stepCreditMax);
  }
}
