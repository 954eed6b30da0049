package io.grpo4j.task.countdown;

import java.math.BigInteger;
import java.util.Arrays;

/**
 * Evaluates an arithmetic expression of whole numbers, {@code + - * /} (binary, and unary {@code +
 * -} as Python allows), parentheses and spaces, in exact rational arithmetic. This is a
 * hand-written operator-precedence parser with explicit stacks: no script engine, no recursion (so
 * a 64 KB run of parentheses cannot overflow the stack), linear time, and it never throws: every
 * problem (syntax, division by zero, a magnitude above the bound) is a returned error.
 *
 * <p>Python's {@code **} and {@code //} are not game operations and are syntax errors here.
 */
public final class ExpressionEvaluator {
  private static final int MAX_DIGITS = 18;
  // operator codes on the operator stack
  private static final int OPEN = 0;
  private static final int ADD = 1;
  private static final int SUB = 2;
  private static final int MUL = 3;
  private static final int DIV = 4;
  private static final int NEG = 5;
  private static final int POS = 6;

  private ExpressionEvaluator() {}

  /**
   * The value of an expression, or why there is none.
   *
   * @param numerator the value's numerator (null when {@code error} is set)
   * @param denominator the value's denominator, positive, coprime to the numerator
   * @param error null when the expression has a value
   */
  public record Value(BigInteger numerator, BigInteger denominator, String error) {
    public boolean ok() {
      return error == null;
    }

    /** Whether the value is exactly the whole number {@code n}. */
    public boolean equalsWhole(long n) {
      return ok() && denominator.equals(BigInteger.ONE) && numerator.equals(BigInteger.valueOf(n));
    }

    @Override
    public String toString() {
      if (!ok()) {
        return "error: " + error;
      }
      return denominator.equals(BigInteger.ONE)
          ? numerator.toString()
          : numerator + "/" + denominator;
    }

    static Value error(String why) {
      return new Value(null, null, why);
    }
  }

  /**
   * Evaluates {@code text[from, to)}; intermediate numerators and denominators must stay within
   * {@code bound}.
   */
  public static Value evaluate(CharSequence text, int from, int to, long bound) {
    return new Run(text, from, to, BigInteger.valueOf(bound)).run();
  }

  private static final class Run {
    private final CharSequence text;
    private final int from;
    private final int to;
    private final BigInteger bound;
    private BigInteger[] nums = new BigInteger[8];
    private BigInteger[] dens = new BigInteger[8];
    private int values;
    private int[] ops = new int[8];
    private int opCount;
    private String error;

    Run(CharSequence text, int from, int to, BigInteger bound) {
      this.text = text;
      this.from = from;
      this.to = to;
      this.bound = bound;
    }

    Value run() {
      boolean expectOperand = true;
      int p = from;
      while (p < to) {
        char ch = text.charAt(p);
        if (ch == ' ' || ch == '\t') {
          p++;
        } else if (ch >= '0' && ch <= '9') {
          if (!expectOperand) {
            return Value.error("two numbers without an operator");
          }
          int start = p;
          while (p < to && text.charAt(p) >= '0' && text.charAt(p) <= '9') {
            p++;
          }
          if (p - start > MAX_DIGITS) {
            return Value.error("number too large");
          }
          if (p - start > 1 && text.charAt(start) == '0' && !allZeros(start, p)) {
            return Value.error("number with a leading zero");
          }
          BigInteger n = new BigInteger(text.subSequence(start, p).toString());
          if (n.compareTo(bound) > 0) {
            return Value.error("number " + n + " exceeds " + bound);
          }
          pushValue(n, BigInteger.ONE);
          expectOperand = false;
        } else if (ch == '(') {
          if (!expectOperand) {
            return Value.error("'(' after a number");
          }
          pushOp(OPEN);
          p++;
        } else if (ch == ')') {
          if (expectOperand) {
            return Value.error("')' where a number was expected");
          }
          while (opCount > 0 && ops[opCount - 1] != OPEN) {
            if (!reduce()) {
              return Value.error(error);
            }
          }
          if (opCount == 0) {
            return Value.error("unbalanced ')'");
          }
          opCount--; // the '('
          p++;
        } else if (ch == '+' || ch == '-' || ch == '*' || ch == '/') {
          if (expectOperand) {
            if (ch == '*' || ch == '/') {
              return Value.error("'" + ch + "' where a number was expected");
            }
            pushOp(ch == '-' ? NEG : POS); // prefix: binds tighter than any binary operator
          } else {
            int op = ch == '+' ? ADD : ch == '-' ? SUB : ch == '*' ? MUL : DIV;
            while (opCount > 0
                && ops[opCount - 1] != OPEN
                && precedence(ops[opCount - 1]) >= precedence(op)) {
              if (!reduce()) {
                return Value.error(error);
              }
            }
            pushOp(op);
            expectOperand = true;
          }
          p++;
        } else {
          return Value.error("character '" + ch + "' not allowed");
        }
      }
      if (expectOperand) {
        return Value.error(
            values == 0 && opCount == 0
                ? "empty expression"
                : "expression ends where a number was expected");
      }
      while (opCount > 0) {
        if (ops[opCount - 1] == OPEN) {
          return Value.error("unbalanced '('");
        }
        if (!reduce()) {
          return Value.error(error);
        }
      }
      return new Value(nums[0], dens[0], null);
    }

    private boolean allZeros(int start, int end) {
      for (int i = start; i < end; i++) {
        if (text.charAt(i) != '0') {
          return false;
        }
      }
      return true;
    }

    private static int precedence(int op) {
      return switch (op) {
        case ADD, SUB -> 1;
        case MUL, DIV -> 2;
        default -> 3; // unary
      };
    }

    /** Applies the operator on top of the stack; false (with {@code error}) if illegal. */
    private boolean reduce() {
      int op = ops[--opCount];
      if (op == NEG || op == POS) {
        if (op == NEG) {
          nums[values - 1] = nums[values - 1].negate();
        }
        return true;
      }
      BigInteger bn = nums[--values];
      BigInteger bd = dens[values];
      BigInteger an = nums[--values];
      BigInteger ad = dens[values];
      BigInteger n;
      BigInteger d;
      switch (op) {
        case ADD -> {
          n = an.multiply(bd).add(bn.multiply(ad));
          d = ad.multiply(bd);
        }
        case SUB -> {
          n = an.multiply(bd).subtract(bn.multiply(ad));
          d = ad.multiply(bd);
        }
        case MUL -> {
          n = an.multiply(bn);
          d = ad.multiply(bd);
        }
        default -> {
          if (bn.signum() == 0) {
            error = "division by zero";
            return false;
          }
          n = an.multiply(bd);
          d = ad.multiply(bn);
        }
      }
      if (d.signum() < 0) {
        n = n.negate();
        d = d.negate();
      }
      BigInteger g = n.gcd(d);
      if (!g.equals(BigInteger.ONE)) {
        n = n.divide(g);
        d = d.divide(g);
      }
      if (n.abs().compareTo(bound) > 0 || d.compareTo(bound) > 0) {
        error = "intermediate value exceeds " + bound;
        return false;
      }
      pushValue(n, d);
      return true;
    }

    private void pushValue(BigInteger n, BigInteger d) {
      if (values == nums.length) {
        nums = Arrays.copyOf(nums, values * 2);
        dens = Arrays.copyOf(dens, values * 2);
      }
      nums[values] = n;
      dens[values++] = d;
    }

    private void pushOp(int op) {
      if (opCount == ops.length) {
        ops = Arrays.copyOf(ops, opCount * 2);
      }
      ops[opCount++] = op;
    }
  }
}
