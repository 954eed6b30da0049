package io.grpo4j.task.countdown;

import io.grpo4j.task.Outcome;
import io.grpo4j.task.PrefixScore;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Verifier;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Judges answers in the expression format of TinyZero: {@code <answer>(3 + 5) * 7</answer>}. As in
 * TinyZero's {@code countdown.py}: the last {@code <answer>...</answer>} pair without a line break
 * inside counts; no such pair scores {@link CountdownRewards#expressionMissing()} (0); an answer
 * whose numbers are not exactly the given ones, which uses characters other than digits, {@code + -
 * * / ( )} and spaces, or which does not evaluate (syntax, division by zero) scores {@link
 * CountdownRewards#expressionWrong()} (0.1); an answer equal to the target scores {@link
 * CountdownRewards#success()} (1.0). Unlike TinyZero it evaluates exactly (rationals, no floating
 * point tolerance) and rejects Python's {@code **} and {@code //}.
 *
 * <p>Prefix score: 0 until a closing tag completes an answer, then that answer's outcome. Since a
 * later answer would replace it, prefix scores here are never marked complete.
 */
public final class ExpressionVerifier implements Verifier<CountdownInstance> {
  private static final String OPEN = "<answer>";
  private static final String CLOSE = "</answer>";

  private final CountdownRewards rewards;
  private final Rules rules;

  public ExpressionVerifier(CountdownRewards rewards, Rules rules) {
    this.rewards = Objects.requireNonNull(rewards, "rewards");
    this.rules = Objects.requireNonNull(rules, "rules");
  }

  @Override
  public PrefixScore score(Problem<CountdownInstance> problem, CharSequence prefix) {
    int[] span = lastAnswer(prefix);
    if (span == null) {
      return new PrefixScore(0.0, false, "no complete answer yet");
    }
    Outcome o = judge(problem.data(), prefix, span);
    return new PrefixScore(o.reward(), false, o.reason());
  }

  @Override
  public Outcome outcome(Problem<CountdownInstance> problem, CharSequence completion) {
    int[] span = lastAnswer(completion);
    if (span == null) {
      return new Outcome(rewards.expressionMissing(), false, "no <answer>...</answer>");
    }
    return judge(problem.data(), completion, span);
  }

  private Outcome judge(CountdownInstance inst, CharSequence text, int[] span) {
    int from = span[0];
    int to = span[1];
    String numbersProblem = numbersProblem(inst.numbers(), text, from, to);
    if (numbersProblem != null) {
      return wrong(numbersProblem);
    }
    for (int i = from; i < to; i++) {
      char ch = text.charAt(i);
      boolean allowed =
          (ch >= '0' && ch <= '9')
              || ch == '+'
              || ch == '-'
              || ch == '*'
              || ch == '/'
              || ch == '('
              || ch == ')'
              || ch == ' '
              || ch == '\t';
      if (!allowed) {
        return wrong("character '" + ch + "' is not allowed in an answer");
      }
    }
    ExpressionEvaluator.Value v =
        ExpressionEvaluator.evaluate(text, from, to, rules.maxMagnitude());
    if (!v.ok()) {
      return wrong("invalid expression: " + v.error());
    }
    if (v.equalsWhole(inst.target())) {
      return new Outcome(rewards.success(), true, "correct: " + inst.target());
    }
    return wrong("evaluates to " + v + ", not " + inst.target());
  }

  private Outcome wrong(String why) {
    return new Outcome(rewards.expressionWrong(), false, why);
  }

  /** Whether the answer's digit runs are exactly the given numbers (as TinyZero compares them). */
  private static String numbersProblem(List<Long> numbers, CharSequence text, int from, int to) {
    long[] expected = new long[numbers.size()];
    for (int i = 0; i < expected.length; i++) {
      expected[i] = numbers.get(i);
    }
    Arrays.sort(expected);
    long[] found = new long[expected.length];
    int count = 0;
    int p = from;
    while (p < to) {
      if (text.charAt(p) < '0' || text.charAt(p) > '9') {
        p++;
        continue;
      }
      long v = 0;
      boolean huge = false;
      while (p < to && text.charAt(p) >= '0' && text.charAt(p) <= '9') {
        huge |= v > (Long.MAX_VALUE - 9) / 10;
        v = huge ? v : v * 10 + (text.charAt(p) - '0');
        p++;
      }
      if (count == found.length || huge) {
        return "must use each of " + Arrays.toString(expected) + " exactly once";
      }
      found[count++] = v;
    }
    Arrays.sort(found, 0, count);
    if (count != expected.length || !Arrays.equals(found, expected)) {
      return "uses "
          + Arrays.toString(Arrays.copyOf(found, count))
          + " but must use each of "
          + Arrays.toString(expected)
          + " exactly once";
    }
    return null;
  }

  /**
   * The content span [start, end) of the last answer, or null. Mirrors Python's {@code
   * re.finditer(r"<answer>(.*?)</answer>")}: scanning left to right, a match starts at the next
   * {@code <answer>} and ends at the first {@code </answer>} after it with no line break in
   * between; the next match is searched after its end. The positions of the next closing tag and
   * next line break are cached, so the scan is linear.
   */
  static int[] lastAnswer(CharSequence text) {
    int len = text.length();
    int[] last = null;
    int pos = 0;
    int nextClose = -2; // -2: not computed; -1: none
    int nextBreak = -2;
    while (true) {
      int open = indexOf(text, OPEN, pos);
      if (open < 0) {
        return last;
      }
      int content = open + OPEN.length();
      if (nextClose != -1 && nextClose < content) {
        nextClose = indexOf(text, CLOSE, content);
      }
      if (nextBreak != -1 && nextBreak < content) {
        nextBreak = indexOf(text, "\n", content);
      }
      if (nextClose >= 0 && (nextBreak < 0 || nextClose < nextBreak)) {
        last = new int[] {content, nextClose};
        pos = nextClose + CLOSE.length();
      } else if (nextClose < 0) {
        return last;
      } else {
        pos = open + 1;
      }
      if (pos > len) {
        return last;
      }
    }
  }

  private static int indexOf(CharSequence text, String needle, int from) {
    int n = needle.length();
    char first = needle.charAt(0);
    for (int i = Math.max(0, from), end = text.length() - n; i <= end; i++) {
      if (text.charAt(i) != first) {
        continue;
      }
      int k = 1;
      while (k < n && text.charAt(i + k) == needle.charAt(k)) {
        k++;
      }
      if (k == n) {
        return i;
      }
    }
    return -1;
  }
}
