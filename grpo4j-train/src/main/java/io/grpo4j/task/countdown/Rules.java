package io.grpo4j.task.countdown;

/**
 * The arithmetic rules of the game, shared by the generator, the solver and the step verifier so
 * that all three agree on what a legal move is: whole numbers only, division only when exact,
 * magnitudes at most {@code maxMagnitude}, and (as in the TV game) no negative or zero results
 * unless allowed.
 *
 * @param allowNegative whether a step may produce a negative number
 * @param allowZero whether a step may produce zero
 * @param maxMagnitude the largest |value| of any number or result; larger makes a step invalid
 */
public record Rules(boolean allowNegative, boolean allowZero, long maxMagnitude) {
  /** Default magnitude bound: far above any sensible answer, far below long overflow. */
  public static final long DEFAULT_BOUND = 1_000_000_000_000L;

  /** The largest accepted bound; keeps every product check in long arithmetic exact. */
  public static final long MAX_BOUND = 1_000_000_000_000_000L;

  /** Positive whole numbers up to 1e12. */
  public static final Rules DEFAULT = new Rules(false, false, DEFAULT_BOUND);

  public Rules {
    if (maxMagnitude < 1 || maxMagnitude > MAX_BOUND) {
      throw new IllegalArgumentException(
          "countdown.generator.max_magnitude must be in 1.." + MAX_BOUND + ", got " + maxMagnitude);
    }
  }

  /** Whether a number may appear in the pool under these rules. */
  public boolean allows(long value) {
    if (value > maxMagnitude || value < -maxMagnitude) {
      return false;
    }
    return value > 0 || (value == 0 ? allowZero : allowNegative);
  }

  /**
   * The result of {@code a op b}, or {@link Long#MIN_VALUE} when the move is illegal (not a whole
   * number, division by zero, too large, or a forbidden sign). Never throws.
   */
  public long apply(long a, Op op, long b) {
    long r = op.apply(a, b, maxMagnitude);
    return r != Long.MIN_VALUE && allows(r) ? r : Long.MIN_VALUE;
  }
}
