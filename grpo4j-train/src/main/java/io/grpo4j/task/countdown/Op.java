package io.grpo4j.task.countdown;

/** The four operations of the Countdown game, with the symbol used in generated solutions. */
public enum Op {
  ADD('+'),
  SUB('-'),
  MUL('*'),
  DIV('/');

  private final char symbol;

  Op(char symbol) {
    this.symbol = symbol;
  }

  /** The canonical symbol written in generated solutions. */
  public char symbol() {
    return symbol;
  }

  /**
   * The operation a character stands for in an answer, or null. Accepts the canonical symbols and
   * the usual alternatives: {@code x X ×} for multiplication, {@code ÷} for division, {@code −}
   * (U+2212) for subtraction.
   */
  public static Op ofSymbol(char c) {
    return switch (c) {
      case '+' -> ADD;
      case '-', '\u2212' -> SUB;
      case '*', 'x', 'X', '\u00d7' -> MUL;
      case '/', '\u00f7' -> DIV;
      default -> null;
    };
  }

  /**
   * Applies the operation to whole numbers under the game's rules, or returns {@link
   * Long#MIN_VALUE} when an operand or the result is not a whole number within {@code bound}
   * (division by zero, inexact division, magnitude above the bound). Never throws.
   *
   * @param bound at most {@link Rules#MAX_BOUND}
   */
  public long apply(long a, long b, long bound) {
    if (a > bound || a < -bound || b > bound || b < -bound) {
      return Long.MIN_VALUE;
    }
    long r;
    switch (this) {
      case ADD -> r = a + b; // |a|,|b| <= bound <= 1e15: no overflow
      case SUB -> r = a - b;
      case MUL -> {
        if (a != 0 && Math.abs(b) > bound / Math.abs(a)) {
          return Long.MIN_VALUE;
        }
        r = a * b;
      }
      default -> {
        if (b == 0 || a % b != 0) {
          return Long.MIN_VALUE;
        }
        r = a / b;
      }
    }
    return r > bound || r < -bound ? Long.MIN_VALUE : r;
  }
}
