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
 * <p>Each key's default is the constant named after it.
 *
 * @param stepValid credit per valid step ({@link #STEP_VALID})
 * @param stepCreditMax cap on the summed step credit ({@link #STEP_CREDIT_MAX})
 * @param stepInvalid added once at the first invalid step ({@link #STEP_INVALID})
 * @param success reward for reaching the target ({@link #SUCCESS})
 * @param expressionWrong expression format: well-formed answer that is wrong ({@link
 *     #EXPRESSION_WRONG})
 * @param expressionMissing expression format: no complete answer tag ({@link #EXPRESSION_MISSING})
 * @param deadEnds steps format: a move that leaves the target unreachable (by brute force, from the
 *     remaining numbers within the remaining steps) is scored like an invalid step, at the token
 *     that made it so — also while its line is still open, once none of the line's possible
 *     completions keeps the target reachable; false restores plain step checking ({@link
 *     #DEAD_ENDS})
 */
public record CountdownRewards(
    double stepValid,
    double stepCreditMax,
    double stepInvalid,
    double success,
    double expressionWrong,
    double expressionMissing,
    boolean deadEnds) {

  /**
   * Default {@code countdown.reward.step_valid}: a dense hint that legal moves are good; ten valid
   * steps are worth one success.
   */
  public static final double STEP_VALID = 0.1;

  /**
   * Default {@code countdown.reward.step_credit_max}: half a success, so wandering through many
   * legal moves never pays as much as solving.
   */
  public static final double STEP_CREDIT_MAX = 0.5;

  /**
   * Default {@code countdown.reward.step_invalid}: a mistake costs more than the credit of one
   * valid step, so guessing a line is worse than stopping.
   */
  public static final double STEP_INVALID = -0.2;

  /** Default {@code countdown.reward.success}: as TinyZero. */
  public static final double SUCCESS = 1.0;

  /** Default {@code countdown.reward.expression_wrong}: TinyZero's format score. */
  public static final double EXPRESSION_WRONG = 0.1;

  /** Default {@code countdown.reward.expression_missing}: as TinyZero. */
  public static final double EXPRESSION_MISSING = 0.0;

  /**
   * Default {@code countdown.reward.dead_ends}: on, the answer is decided in line 1, and without
   * this a valid but hopeless first line earned +0.1.
   */
  public static final boolean DEAD_ENDS = true;

  /** The defaults above. */
  public static final CountdownRewards DEFAULTS =
      new CountdownRewards(
          STEP_VALID,
          STEP_CREDIT_MAX,
          STEP_INVALID,
          SUCCESS,
          EXPRESSION_WRONG,
          EXPRESSION_MISSING,
          DEAD_ENDS);

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

  /** The step credit of a prefix with {@code validSteps} valid steps. */
  public double stepCredit(int validSteps) {
    return Math.min(validSteps * stepValid, stepCreditMax);
  }
}
