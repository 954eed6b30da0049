package io.grpo4j.task.countdown;

import java.util.Objects;

/**
 * One move of the game: two numbers from the pool are combined, the result joins the pool. {@link
 * #toString()} is the canonical answer line without spaces, e.g. {@code 3+5=8}: short and regular,
 * because the tiny byte-level model learns the format from these lines.
 */
public record Step(long left, Op op, long right, long result) {
  public Step {
    Objects.requireNonNull(op, "op");
    long expected = op.apply(left, right, Rules.MAX_BOUND);
    if (expected == Long.MIN_VALUE || expected != result) {
      throw new IllegalArgumentException(
          "step " + left + op.symbol() + right + "=" + result + " has the wrong result");
    }
  }

  @Override
  public String toString() {
    return "" + left + op.symbol() + right + "=" + result;
  }
}
