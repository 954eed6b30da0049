package io.grpo4j.task.countdown;

import io.grpo4j.task.Outcome;
import io.grpo4j.task.PrefixScore;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Verifier;
import java.util.List;
import java.util.Objects;

/**
 * Judges answers in the steps format: one move per line, {@code a op b = c} (spaces optional;
 * {@code * x X ×} multiply, {@code / ÷} divide, {@code −} subtract; blank lines ignored). Operands
 * must be in the current pool, the result joins it, as in the game.
 *
 * <p>Prefix scoring, in one left-to-right pass: each completed valid line earns step credit; the
 * first invalid line (malformed, unavailable operand, wrong arithmetic, illegal result, too many
 * steps) costs {@link CountdownRewards#stepInvalid()} and freezes the score; a line whose result is
 * the target earns {@link CountdownRewards#success()} and everything after its last result digit is
 * ignored (even on the same line: success is final once earned). A line is judged when its newline
 * arrives; the last, still open line of a prefix counts as soon as it already is a valid step (so
 * the digit that completes a correct result is the token that earns it), and fails as soon as no
 * continuation could make it valid (so {@code 7*7=48} is blamed on the {@code 8}, an unavailable
 * operand on the character that completes it): token rewards then fall on the token that made the
 * mistake, not on the newline after it. An open line that may still become valid is not judged yet.
 * At end of text ({@link #outcome}) the open line is judged as it stands. With these rules the
 * prefix scores of a correct solution never decrease and reach the maximum, {@code success}.
 *
 * <p><b>Dead ends</b> ({@link CountdownRewards#deadEnds()}, on by default). A legal move can still
 * lose the game: for target 44 from {@code 10 17 17}, {@code 17-10=7} leaves {@code 7 17}, from
 * which 44 cannot be made. Such a move is scored like an invalid step (credit of the earlier steps
 * plus {@code step_invalid}, frozen) at the token that made it so: the open line is a dead end as
 * soon as <em>none</em> of its possible completions — every pair of pool numbers and operation
 * consistent with what is typed so far — either produces the target or leaves a pool from which the
 * target is reachable within the remaining steps ({@link Reachability}, a memoised brute-force
 * search). In the example that is the {@code -} of {@code 17-}: {@code 17-10} and {@code 17-17}
 * both lose, while {@code 17} alone could still become {@code 17+10=27}. Only a move that
 * <em>makes</em> the target unreachable is blamed: when the starting numbers cannot reach it at all
 * (a user's instance) no dead end is ever declared. Typed text only narrows the possible moves, so
 * a prefix that is a dead end stays one whatever follows, and the score of a completed dead-end
 * line equals the score its prefix already had: the token rewards still sum to the outcome.
 */
public final class StepsVerifier implements Verifier<CountdownInstance> {
  private static final int MAX_DIGITS = 18; // fits a long
  private static final long NO_STOP = Long.MIN_VALUE; // never a parsed value (|v| < 1e18)

  private final CountdownRewards rewards;
  private final Rules rules;
  private final Reachability reach;

  public StepsVerifier(CountdownRewards rewards, Rules rules) {
    this.rewards = Objects.requireNonNull(rewards, "rewards");
    this.rules = Objects.requireNonNull(rules, "rules");
    this.reach = new Reachability(rules);
  }

  @Override
  public PrefixScore score(Problem<CountdownInstance> problem, CharSequence prefix) {
    Scan s = new Scan(problem.data(), prefix, false);
    return new PrefixScore(s.value, s.success || s.invalid, s.reason);
  }

  @Override
  public Outcome outcome(Problem<CountdownInstance> problem, CharSequence completion) {
    Scan s = new Scan(problem.data(), completion, true);
    return new Outcome(s.value, s.success, s.reason);
  }

  /** Result of parsing one line. */
  private enum Parse {
    BLANK,
    STEP,
    MALFORMED,
    TOO_LONG
  }

  /** One pass over a text; the judgement is in the fields after construction. */
  private final class Scan {
    private final CountdownInstance inst;
    private final long[] pool;
    private int poolSize;
    private int validSteps;
    // the step parsed from the current line
    private long a;
    private long b;
    private long c;
    private Op op;
    private int cursor;
    // dead-end scoring applies: on, and the starting pool can reach the target
    private final boolean checkReach;
    // the judgement
    double value;
    boolean success;
    boolean invalid;
    String reason;

    Scan(CountdownInstance inst, CharSequence text, boolean endOfText) {
      this.inst = inst;
      List<Long> numbers = inst.numbers();
      // Each step takes two numbers and gives back one, so the pool never outgrows the start.
      this.pool = new long[numbers.size()];
      for (int i = 0; i < pool.length; i++) {
        pool[i] = numbers.get(i);
      }
      this.poolSize = pool.length;
      this.checkReach =
          rewards.deadEnds()
              && text.length() > 0
              && reach.reachable(pool, poolSize, inst.target(), inst.maxSteps());
      run(text, endOfText);
    }

    private void run(CharSequence text, boolean endOfText) {
      int len = text.length();
      int pos = 0;
      int line = 0;
      while (pos < len) {
        line++;
        int end = pos;
        while (end < len && text.charAt(end) != '\n') {
          end++;
        }
        boolean terminated = end < len || endOfText;
        Parse parse = parseLine(text, pos, end);
        if (parse == Parse.BLANK) {
          pos = end + 1;
          continue;
        }
        String error =
            switch (parse) {
              case MALFORMED -> "not a step 'a op b = c': '" + excerpt(text, pos, end) + "'";
              case TOO_LONG -> "number with more than " + MAX_DIGITS + " digits";
              default -> check();
            };
        if (error != null) {
          if (terminated) {
            fail(line, error);
            return;
          }
          String dead = deadEnd(text, pos, end);
          if (dead == null && checkReach) dead = noWinningMove(text, pos, end);
          if (dead != null) {
            fail(line, dead);
            return;
          }
          break; // an open line that may still become a valid step is not judged yet
        }
        if (checkReach && c != inst.target() && !reachableAfter(a, b, c)) {
          fail(line, "dead end: after " + a + op.symbol() + b + "=" + c + deadEndTail());
          return;
        }
        apply();
        if (c == inst.target()) {
          value = rewards.success();
          success = true;
          reason =
              "reached "
                  + inst.target()
                  + " in "
                  + validSteps
                  + (validSteps == 1 ? " step" : " steps");
          return;
        }
        pos = end + 1;
      }
      value = rewards.stepCredit(validSteps);
      String steps = validSteps + (validSteps == 1 ? " valid step" : " valid steps");
      if (endOfText) {
        reason =
            validSteps == 0
                ? "no steps"
                : "stopped after " + steps + " without reaching " + inst.target();
      } else {
        reason = validSteps == 0 ? "no steps yet" : steps;
      }
    }

    private void fail(int line, String error) {
      invalid = true;
      value = rewards.stepCredit(validSteps) + rewards.stepInvalid();
      reason = "line " + line + ": " + error;
    }

    /** Why the parsed step is illegal now, or null when it is a valid move. */
    private String check() {
      if (validSteps >= inst.maxSteps()) {
        return "too many steps (at most " + inst.maxSteps() + ")";
      }
      int ia = indexOf(a, -1);
      if (ia < 0) {
        return a + " is not available";
      }
      if (indexOf(b, ia) < 0) {
        return b + (a == b ? " is not available twice" : " is not available");
      }
      long r = op.apply(a, b, rules.maxMagnitude());
      if (r == Long.MIN_VALUE) {
        if (op == Op.DIV && b == 0) {
          return "division by zero";
        }
        if (op == Op.DIV && a % b != 0) {
          return a + "/" + b + " is not a whole number";
        }
        return "result exceeds " + rules.maxMagnitude();
      }
      if (!rules.allows(r)) {
        return r < 0 ? "negative result " + r + " is not allowed" : "zero result is not allowed";
      }
      if (r != c) {
        return "wrong arithmetic: " + a + op.symbol() + b + " is " + r + ", not " + c;
      }
      return null;
    }

    /**
     * Why no continuation of the open line text[from, to) can be a valid step, or null while one
     * still can. Reads the line left to right as far as it goes: a finished operand must be in the
     * pool, a half-typed one must begin some pool number, the typed result must begin the true
     * result, and nothing but spaces may follow a finished result.
     */
    private String deadEnd(CharSequence text, int from, int to) {
      cursor = from;
      skipSpaces(text, to);
      if (cursor == to) return null;
      if (validSteps >= inst.maxSteps()) return "too many steps (at most " + inst.maxSteps() + ")";
      String first = signedDigits(text, to);
      if (cursor == to)
        return beginsAny(first, -1) ? null : "no available number starts with " + first;
      if (first.isEmpty() || first.equals("-")) return "not a step 'a op b = c': expected a number";
      if (first.length() - (first.startsWith("-") ? 1 : 0) > MAX_DIGITS)
        return "number with more than " + MAX_DIGITS + " digits";
      long left = Long.parseLong(first);
      int ia = indexOf(left, -1);
      if (ia < 0) return left + " is not available";
      skipSpaces(text, to);
      if (cursor == to) return null;
      Op o = Op.ofSymbol(text.charAt(cursor));
      if (o == null) return "not a step 'a op b = c': '" + text.charAt(cursor) + "' is not + - * /";
      cursor++;
      skipSpaces(text, to);
      if (cursor == to) return null;
      String second = signedDigits(text, to);
      if (cursor == to)
        return beginsAny(second, ia) ? null : "no available number starts with " + second;
      if (second.isEmpty() || second.equals("-"))
        return "not a step 'a op b = c': expected a number";
      if (second.length() - (second.startsWith("-") ? 1 : 0) > MAX_DIGITS)
        return "number with more than " + MAX_DIGITS + " digits";
      long right = Long.parseLong(second);
      if (indexOf(right, ia) < 0)
        return right + (left == right ? " is not available twice" : " is not available");
      skipSpaces(text, to);
      if (cursor == to) return null;
      if (text.charAt(cursor) != '=') return "not a step 'a op b = c': expected '='";
      cursor++;
      long r = o.apply(left, right, rules.maxMagnitude());
      if (r == Long.MIN_VALUE || !rules.allows(r)) {
        return "illegal move " + left + o.symbol() + right;
      }
      String truth = Long.toString(r);
      skipSpaces(text, to);
      String typed = signedDigits(text, to);
      if (!truth.startsWith(typed))
        return "wrong arithmetic: "
            + left
            + o.symbol()
            + right
            + " is "
            + r
            + ", not "
            + typed
            + "...";
      if (cursor == to) return null;
      if (!typed.equals(truth))
        return "wrong arithmetic: " + left + o.symbol() + right + " is " + r + ", not " + typed;
      skipSpaces(text, to);
      return cursor == to ? null : "not a step 'a op b = c': text after the result";
    }

    private String deadEndTail() {
      return ", " + inst.target() + " cannot be reached any more";
    }

    /** Whether the pool after the move a, b → c can still reach the target. */
    private boolean reachableAfter(long a, long b, long c) {
      long[] next = new long[poolSize];
      int n = 0;
      boolean tookA = false;
      boolean tookB = false;
      for (int i = 0; i < poolSize; i++) {
        if (!tookA && pool[i] == a) tookA = true;
        else if (!tookB && pool[i] == b) tookB = true;
        else next[n++] = pool[i];
      }
      next[n++] = c;
      return reach.reachable(next, n, inst.target(), inst.maxSteps() - validSteps - 1);
    }

    /**
     * Why no completion of the open line text[from, to) wins or keeps the target reachable, or null
     * while one does. Called only after {@link #deadEnd} found the line still possibly valid, so
     * the text is a well-formed beginning of {@code a op b = c}: every pool pair and operation
     * consistent with the typed operands and operator, whose result is legal and begins with the
     * typed result digits, is tried.
     */
    private String noWinningMove(CharSequence text, int from, int to) {
      cursor = from;
      skipSpaces(text, to);
      if (cursor == to) return null; // nothing decided yet
      String first = signedDigits(text, to);
      boolean firstDone = cursor < to;
      skipSpaces(text, to);
      Op o = cursor < to ? Op.ofSymbol(text.charAt(cursor++)) : null;
      skipSpaces(text, to);
      String second = cursor < to ? signedDigits(text, to) : "";
      boolean secondDone = cursor < to;
      skipSpaces(text, to);
      String result = "";
      if (cursor < to) {
        cursor++; // '='
        skipSpaces(text, to);
        result = signedDigits(text, to);
      }
      for (int i = 0; i < poolSize; i++) {
        if (!matches(pool[i], first, firstDone)) continue;
        for (int j = 0; j < poolSize; j++) {
          if (j == i || !matches(pool[j], second, secondDone)) continue;
          for (Op candidate : Op.values()) {
            if (o != null && candidate != o) continue;
            long r = candidate.apply(pool[i], pool[j], rules.maxMagnitude());
            if (r == Long.MIN_VALUE || !rules.allows(r)) continue;
            if (!Long.toString(r).startsWith(result)) continue;
            if (r == inst.target() || reachableAfter(pool[i], pool[j], r)) return null;
          }
        }
      }
      return "dead end: no move beginning '"
          + excerpt(text, from, to)
          + "' wins or keeps "
          + inst.target()
          + " reachable";
    }

    /** Whether pool number v is written as {@code typed} (done) or starts with it (still open). */
    private static boolean matches(long v, String typed, boolean done) {
      String s = Long.toString(v);
      return done ? s.equals(typed) : s.startsWith(typed);
    }

    /**
     * Reads an optional minus sign and up to {@code MAX_DIGITS + 1} digits at the cursor, as typed.
     */
    private String signedDigits(CharSequence text, int to) {
      StringBuilder sb = new StringBuilder();
      if (cursor < to && (text.charAt(cursor) == '-' || text.charAt(cursor) == '\u2212')) {
        sb.append('-');
        cursor++;
      }
      while (cursor < to
          && text.charAt(cursor) >= '0'
          && text.charAt(cursor) <= '9'
          && sb.length() <= MAX_DIGITS + 1) {
        sb.append(text.charAt(cursor++));
      }
      return sb.toString();
    }

    /**
     * Whether some pool number other than index {@code skip} is written starting with {@code
     * typed}.
     */
    private boolean beginsAny(String typed, int skip) {
      for (int i = 0; i < poolSize; i++) {
        if (i != skip && Long.toString(pool[i]).startsWith(typed)) return true;
      }
      return false;
    }

    /** Takes the checked step's operands from the pool and adds its result. */
    private void apply() {
      int ia = indexOf(a, -1);
      removeAt(ia);
      removeAt(indexOf(b, -1));
      pool[poolSize++] = c;
      validSteps++;
    }

    private int indexOf(long v, int skip) {
      for (int i = 0; i < poolSize; i++) {
        if (i != skip && pool[i] == v) {
          return i;
        }
      }
      return -1;
    }

    private void removeAt(int i) {
      pool[i] = pool[--poolSize];
    }

    /** Parses text[from, to) into a, op, b, c. */
    private Parse parseLine(CharSequence text, int from, int to) {
      cursor = from;
      skipSpaces(text, to);
      if (cursor == to) {
        return Parse.BLANK;
      }
      int digits = number(text, to, NO_STOP);
      if (digits <= 0) {
        return digits == 0 ? Parse.MALFORMED : Parse.TOO_LONG;
      }
      a = parsed;
      skipSpaces(text, to);
      if (cursor == to || (op = Op.ofSymbol(text.charAt(cursor))) == null) {
        return Parse.MALFORMED;
      }
      cursor++;
      skipSpaces(text, to);
      digits = number(text, to, NO_STOP);
      if (digits <= 0) {
        return digits == 0 ? Parse.MALFORMED : Parse.TOO_LONG;
      }
      b = parsed;
      skipSpaces(text, to);
      if (cursor == to || text.charAt(cursor) != '=') {
        return Parse.MALFORMED;
      }
      cursor++;
      skipSpaces(text, to);
      // A correct step onto the target ends the answer at the result's last digit: whatever
      // follows (even on the same line) is ignored, so success is final as soon as it is earned.
      long expected = op.apply(a, b, rules.maxMagnitude());
      digits = number(text, to, expected == inst.target() ? expected : NO_STOP);
      if (digits <= 0) {
        return digits == 0 ? Parse.MALFORMED : Parse.TOO_LONG;
      }
      c = parsed;
      if (c == expected && c == inst.target()) {
        return Parse.STEP;
      }
      skipSpaces(text, to);
      return cursor == to ? Parse.STEP : Parse.MALFORMED;
    }

    private long parsed;

    /**
     * Reads an optionally negative whole number at the cursor into {@code parsed}, stopping early
     * once the digits read so far equal {@code stopAt}; returns its digit count, 0 if there is
     * none, -1 if it is too long.
     */
    private int number(CharSequence text, int to, long stopAt) {
      boolean negative = false;
      int p = cursor;
      if (p < to && (text.charAt(p) == '-' || text.charAt(p) == '\u2212')) {
        negative = true;
        p++;
      }
      long v = 0;
      int digits = 0;
      while (p < to && text.charAt(p) >= '0' && text.charAt(p) <= '9') {
        if (++digits > MAX_DIGITS) {
          return -1;
        }
        v = v * 10 + (text.charAt(p) - '0');
        p++;
        if ((negative ? -v : v) == stopAt) {
          break;
        }
      }
      if (digits > 0) {
        cursor = p;
        parsed = negative ? -v : v;
      }
      return digits;
    }

    private void skipSpaces(CharSequence text, int to) {
      while (cursor < to) {
        char ch = text.charAt(cursor);
        if (ch != ' ' && ch != '\t' && ch != '\r') {
          return;
        }
        cursor++;
      }
    }
  }

  private static String excerpt(CharSequence text, int from, int to) {
    String s = text.subSequence(from, Math.min(to, from + 40)).toString().strip();
    return to - from > 40 ? s + "..." : s;
  }
}
