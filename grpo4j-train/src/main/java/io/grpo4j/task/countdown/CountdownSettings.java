package io.grpo4j.task.countdown;

import java.util.Map;
import java.util.Set;

/**
 * Knobs of the instance generator and the game rules, the config keys {@code countdown.generator.*}
 * (snake_case of the field names, see {@link #fromMap}). Difficulty grows with the count of numbers
 * and the count of steps; the defaults, one constant per key named after it, suit the tiny model's
 * first curriculum.
 *
 * @param minNumbers fewest numbers per instance ({@link #MIN_NUMBERS})
 * @param maxNumbers most numbers per instance, at most 8 ({@link #MAX_NUMBERS})
 * @param minValue smallest starting number ({@link #MIN_VALUE})
 * @param maxValue largest starting number ({@link #MAX_VALUE})
 * @param minTarget smallest target ({@link #MIN_TARGET})
 * @param maxTarget largest target ({@link #MAX_TARGET})
 * @param minSteps fewest steps of the reference solution ({@link #MIN_STEPS})
 * @param maxSteps the step budget stated in the prompt, also the longest reference solution ({@link
 *     #MAX_STEPS})
 * @param useAllNumbers whether the reference solution uses every number ({@link #USE_ALL_NUMBERS})
 * @param allowNegative whether steps may produce negative numbers ({@link #ALLOW_NEGATIVE})
 * @param allowZero whether steps may produce zero ({@link #ALLOW_ZERO})
 * @param maxMagnitude bound on any number or result; above it a step is invalid ({@link
 *     #MAX_MAGNITUDE})
 */
public record CountdownSettings(
    int minNumbers,
    int maxNumbers,
    long minValue,
    long maxValue,
    long minTarget,
    long maxTarget,
    int minSteps,
    int maxSteps,
    boolean useAllNumbers,
    boolean allowNegative,
    boolean allowZero,
    long maxMagnitude) {

  /** Default {@code countdown.generator.min_numbers}: the tiny model's first curriculum. */
  public static final int MIN_NUMBERS = 3;

  /** Default {@code countdown.generator.max_numbers}: the tiny model's first curriculum. */
  public static final int MAX_NUMBERS = 4;

  /** Default {@code countdown.generator.min_value}: the smallest number the default rules allow. */
  public static final long MIN_VALUE = 1;

  /**
   * Default {@code countdown.generator.max_value}: one- and two-digit numbers keep prompts short
   * for a byte-level model.
   */
  public static final long MAX_VALUE = 25;

  /** Default {@code countdown.generator.min_target}: excludes trivial single-digit targets. */
  public static final long MIN_TARGET = 10;

  /** Default {@code countdown.generator.max_target}: as TinyZero's Countdown set. */
  public static final long MAX_TARGET = 100;

  /** Default {@code countdown.generator.min_steps}: one-step problems included. */
  public static final int MIN_STEPS = 1;

  /** Default {@code countdown.generator.max_steps}: the seed recipe's "within 6 steps". */
  public static final int MAX_STEPS = 6;

  /**
   * Default {@code countdown.generator.use_all_numbers}: then each instance is also a valid
   * expression-format instance, "each number exactly once".
   */
  public static final boolean USE_ALL_NUMBERS = true;

  /** Default {@code countdown.generator.allow_negative}: not allowed, as in the game. */
  public static final boolean ALLOW_NEGATIVE = false;

  /** Default {@code countdown.generator.allow_zero}: not allowed, as in the game. */
  public static final boolean ALLOW_ZERO = false;

  /** Default {@code countdown.generator.max_magnitude}: {@link Rules#DEFAULT_BOUND}. */
  public static final long MAX_MAGNITUDE = Rules.DEFAULT_BOUND;

  /** The defaults above. */
  public static final CountdownSettings DEFAULTS =
      new CountdownSettings(
          MIN_NUMBERS,
          MAX_NUMBERS,
          MIN_VALUE,
          MAX_VALUE,
          MIN_TARGET,
          MAX_TARGET,
          MIN_STEPS,
          MAX_STEPS,
          USE_ALL_NUMBERS,
          ALLOW_NEGATIVE,
          ALLOW_ZERO,
          MAX_MAGNITUDE);

  private static final Set<String> KEYS =
      Set.of(
          "min_numbers",
          "max_numbers",
          "min_value",
          "max_value",
          "min_target",
          "max_target",
          "min_steps",
          "max_steps",
          "use_all_numbers",
          "allow_negative",
          "allow_zero",
          "max_magnitude");

  public CountdownSettings {
    Rules rules = new Rules(allowNegative, allowZero, maxMagnitude); // validates the bound
    if (minNumbers < CountdownInstance.MIN_NUMBERS
        || maxNumbers > CountdownInstance.MAX_NUMBERS
        || minNumbers > maxNumbers) {
      throw new IllegalArgumentException(
          "countdown numbers count must be a range within "
              + CountdownInstance.MIN_NUMBERS
              + ".."
              + CountdownInstance.MAX_NUMBERS
              + ", got "
              + minNumbers
              + ".."
              + maxNumbers);
    }
    if (minValue > maxValue) {
      throw new IllegalArgumentException(
          "countdown value range " + minValue + ".." + maxValue + " is empty");
    }
    if (!allowNegative && minValue < 0) {
      throw new IllegalArgumentException(
          "countdown value range "
              + minValue
              + ".."
              + maxValue
              + " has negative numbers but allow_negative is false");
    }
    if (!allowZero && minValue <= 0 && maxValue >= 0) {
      throw new IllegalArgumentException(
          "countdown value range "
              + minValue
              + ".."
              + maxValue
              + " contains 0 but allow_zero is false");
    }
    if (!rules.allows(minValue) || !rules.allows(maxValue)) {
      throw new IllegalArgumentException(
          "countdown value range "
              + minValue
              + ".."
              + maxValue
              + " exceeds max_magnitude "
              + maxMagnitude);
    }
    if (minTarget > maxTarget
        || Math.abs(minTarget) > maxMagnitude
        || Math.abs(maxTarget) > maxMagnitude) {
      throw new IllegalArgumentException(
          "countdown target range must be ordered and within the magnitude bound, got "
              + minTarget
              + ".."
              + maxTarget);
    }
    if (minSteps < 1 || minSteps > maxSteps || maxSteps > CountdownInstance.MAX_STEPS) {
      throw new IllegalArgumentException(
          "countdown steps range must be within 1.."
              + CountdownInstance.MAX_STEPS
              + ", got "
              + minSteps
              + ".."
              + maxSteps);
    }
    boolean feasible = false;
    for (int k = minNumbers; k <= maxNumbers; k++) {
      feasible |= feasibleCount(k, minSteps, maxSteps, useAllNumbers);
    }
    if (!feasible) {
      throw new IllegalArgumentException(
          "no count of numbers in "
              + minNumbers
              + ".."
              + maxNumbers
              + " allows a solution of "
              + minSteps
              + ".."
              + maxSteps
              + " steps"
              + (useAllNumbers ? " using every number (n numbers take n-1 steps)" : ""));
    }
  }

  /** Whether instances with {@code count} numbers can have a reference of allowed length. */
  static boolean feasibleCount(int count, int minSteps, int maxSteps, boolean useAll) {
    int steps = count - 1; // most steps possible, and exactly the steps when all numbers are used
    return useAll ? steps >= minSteps && steps <= maxSteps : steps >= minSteps;
  }

  /** The game rules these settings imply. */
  public Rules rules() {
    return new Rules(allowNegative, allowZero, maxMagnitude);
  }

  /**
   * Builds settings from config values keyed by snake_case names (see {@code KEYS}: min_numbers,
   * max_numbers, min_value, max_value, min_target, max_target, min_steps, max_steps,
   * use_all_numbers, allow_negative, allow_zero, max_magnitude); missing keys keep their defaults,
   * unknown keys are an error.
   */
  public static CountdownSettings fromMap(Map<String, ?> values) {
    ConfigValues c = new ConfigValues("countdown.generator.", values, KEYS);
    CountdownSettings d = DEFAULTS;
    return new CountdownSettings(
        c.smallInteger("min_numbers", d.minNumbers),
        c.smallInteger("max_numbers", d.maxNumbers),
        c.integer("min_value", d.minValue),
        c.integer("max_value", d.maxValue),
        c.integer("min_target", d.minTarget),
        c.integer("max_target", d.maxTarget),
        c.smallInteger("min_steps", d.minSteps),
        c.smallInteger("max_steps", d.maxSteps),
        c.bool("use_all_numbers", d.useAllNumbers),
        c.bool("allow_negative", d.allowNegative),
        c.bool("allow_zero", d.allowZero),
        c.integer("max_magnitude", d.maxMagnitude));
  }
}
