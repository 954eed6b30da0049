package io.grpo4j.task.countdown;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpo4j.task.Outcome;
import io.grpo4j.task.PrefixScore;
import io.grpo4j.task.Problem;
import java.math.BigInteger;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ExpressionVerifierTest {
  /** Evaluates the whole text. */
  static ExpressionEvaluator.Value evaluate(String text, long bound) {
    return ExpressionEvaluator.evaluate(text, 0, text.length(), bound);
  }

  static final Problem<CountdownInstance> P =
      CountdownTask.problem(CountdownInstance.of(List.of(3L, 5L, 7L), 56, 6));
  final ExpressionVerifier v = new ExpressionVerifier(CountdownRewards.DEFAULTS, Rules.DEFAULT);

  double reward(String completion) {
    return v.outcome(P, completion).reward();
  }

  // --- TinyZero's cases: 0 no answer, 0.1 well-formed but wrong, 1.0 correct ---

  @Test
  void correctAnswer() {
    Outcome o = v.outcome(P, "<think>8 times 7</think>\n<answer>(3 + 5) * 7</answer>");
    assertThat(o).isEqualTo(new Outcome(1.0, true, "correct: 56"));
    assertThat(reward("<answer>7*(5+3)</answer>")).isEqualTo(1.0);
    assertThat(reward("<answer> ( 3+5 ) *7 </answer>")).isEqualTo(1.0);
  }

  @Test
  void noTagsScoreZero() {
    assertThat(v.outcome(P, "(3 + 5) * 7"))
        .isEqualTo(new Outcome(0.0, false, "no <answer>...</answer>"));
    assertThat(reward("<answer>(3+5)*7")).isZero();
    assertThat(reward("(3+5)*7</answer>")).isZero();
    assertThat(reward("<answer>(3+5)*7\n</answer>"))
        .isZero(); // TinyZero's '.' does not cross lines
    assertThat(reward("")).isZero();
  }

  @Test
  void numberReusedIsWrong() {
    Outcome o = v.outcome(P, "<answer>(3+5)*7*7/7</answer>");
    assertThat(o.reward()).isEqualTo(0.1);
    assertThat(o.reason()).contains("exactly once");
  }

  @Test
  void numberMissingIsWrong() {
    assertThat(reward("<answer>8*7</answer>")).isEqualTo(0.1);
    assertThat(reward("<answer>(3+5)</answer>")).isEqualTo(0.1);
  }

  @Test
  void extraCharactersAreWrong() {
    Outcome o = v.outcome(P, "<answer>(3+5)x7</answer>");
    assertThat(o.reward()).isEqualTo(0.1);
    assertThat(o.reason()).isEqualTo("character 'x' is not allowed in an answer");
    assertThat(reward("<answer>(3+5)*7.0</answer>")).isEqualTo(0.1); // 0 is an extra number
    assertThat(reward("<answer>(3.+5)*7</answer>")).isEqualTo(0.1);
    assertThat(reward("<answer>(3+5)**7</answer>")).isEqualTo(0.1);
  }

  @Test
  void equalsTargetSuffixIsWrong() {
    // as in TinyZero: 56 is an extra number (and '=' is not allowed)
    assertThat(reward("<answer>(3+5)*7 = 56</answer>")).isEqualTo(0.1);
  }

  @Test
  void wrongValueOrInvalidExpressionIsWrong() {
    assertThat(v.outcome(P, "<answer>3+5*7</answer>").reason())
        .isEqualTo("evaluates to 38, not 56");
    assertThat(v.outcome(P, "<answer>3/5*7</answer>").reason())
        .isEqualTo("evaluates to 21/5, not 56");
    assertThat(v.outcome(P, "<answer>(3+5)*7)</answer>").reason())
        .isEqualTo("invalid expression: unbalanced ')'");
    assertThat(v.outcome(P, "<answer>(3 5)*7</answer>").reward()).isEqualTo(0.1);
    Problem<CountdownInstance> zero =
        CountdownTask.problem(CountdownInstance.of(List.of(3L, 3L, 7L), 7, 6));
    assertThat(v.outcome(zero, "<answer>7/(3-3)</answer>").reason())
        .isEqualTo("invalid expression: division by zero");
  }

  @Test
  void lastAnswerCounts() {
    assertThat(reward("<answer>3+5+7</answer> no wait <answer>(3+5)*7</answer>")).isEqualTo(1.0);
    assertThat(reward("<answer>(3+5)*7</answer> no wait <answer>3+5+7</answer>")).isEqualTo(0.1);
    assertThat(reward("<answer>(3+5)*7</answer> <answer>unclosed")).isEqualTo(1.0);
    assertThat(reward("<answer>x\n<answer>(3+5)*7</answer>")).isEqualTo(1.0);
  }

  @Test
  void fractionalIntermediatesAreExact() {
    Problem<CountdownInstance> p =
        CountdownTask.problem(CountdownInstance.of(List.of(3L, 2L, 4L), 6, 6));
    assertThat(v.outcome(p, "<answer>3/2*4</answer>").success()).isTrue();
    Problem<CountdownInstance> q =
        CountdownTask.problem(CountdownInstance.of(List.of(1L, 3L, 3L, 3L), 1, 6));
    assertThat(v.outcome(q, "<answer>1/3*3*3-2</answer>").success()).isFalse(); // 2 is not given
    assertThat(v.outcome(q, "<answer>1/3*3*(3/3)</answer>").reward())
        .isEqualTo(0.1); // 3 used 4 times
  }

  @Test
  void prefixScoreIsZeroUntilTheClosingTag() {
    String answer = "<answer>(3+5)*7</answer>";
    for (int end = 0; end < answer.length(); end++) {
      PrefixScore s = v.score(P, answer.substring(0, end));
      assertThat(s.value()).as(answer.substring(0, end)).isZero();
    }
    assertThat(v.score(P, answer).value()).isEqualTo(1.0);
    assertThat(v.score(P, answer + " trailing").value()).isEqualTo(1.0);
  }

  @Test
  void manyOpenTagsAndParenthesesAreScoredWithoutThrowing() {
    String many = "<answer>".repeat(8 * 1024) + "</answer>";
    for (int i = 0; i < 20; i++) {
      assertThat(v.outcome(P, many).reward()).isEqualTo(0.1);
      assertThat(v.outcome(P, "(".repeat(64 * 1024)).reward()).isZero();
      assertThat(v.outcome(P, "<answer>" + "(".repeat(60 * 1024) + "</answer>").reward())
          .isEqualTo(0.1);
    }
  }

  // --- evaluator against an independent evaluator: random expression trees ---

  /**
   * A random expression tree, its text with the parentheses its structure needs, and its exact
   * value.
   */
  sealed interface Expr permits Num, Bin, Neg {}

  record Num(long value) implements Expr {}

  record Bin(char op, Expr left, Expr right) implements Expr {}

  record Neg(Expr inner) implements Expr {}

  static Expr random(Random rnd, int depth) {
    int kind = depth == 0 ? 0 : rnd.nextInt(10);
    if (kind < 3) {
      return new Num(rnd.nextInt(rnd.nextBoolean() ? 10 : 1000));
    }
    if (kind == 3) {
      return new Neg(random(rnd, depth - 1));
    }
    return new Bin("+-*/".charAt(rnd.nextInt(4)), random(rnd, depth - 1), random(rnd, depth - 1));
  }

  static int prec(Expr e) {
    return e instanceof Bin b ? (b.op() == '+' || b.op() == '-' ? 1 : 2) : 3;
  }

  static String space(Random rnd) {
    return rnd.nextInt(4) == 0 ? " " : "";
  }

  static String render(Expr e, Random rnd) {
    return switch (e) {
      case Num n -> Long.toString(n.value());
      case Neg n ->
          "-"
              + space(rnd)
              + (prec(n.inner()) == 3 && !(n.inner() instanceof Neg)
                  ? render(n.inner(), rnd)
                  : "(" + render(n.inner(), rnd) + ")");
      case Bin b -> {
        int p = prec(b);
        boolean wrapLeft = prec(b.left()) < p || rnd.nextInt(8) == 0;
        boolean wrapRight = prec(b.right()) <= p || rnd.nextInt(8) == 0; // left-associative
        String l = render(b.left(), rnd);
        String r = render(b.right(), rnd);
        yield (wrapLeft ? "(" + l + ")" : l)
            + space(rnd)
            + b.op()
            + space(rnd)
            + (wrapRight ? "(" + r + ")" : r);
      }
    };
  }

  /**
   * Exact value as {numerator, denominator}, or null for division by zero or a value beyond the
   * bound.
   */
  static BigInteger[] value(Expr e, BigInteger bound) {
    BigInteger[] v =
        switch (e) {
          case Num n -> new BigInteger[] {BigInteger.valueOf(n.value()), BigInteger.ONE};
          case Neg n -> {
            BigInteger[] x = value(n.inner(), bound);
            yield x == null ? null : new BigInteger[] {x[0].negate(), x[1]};
          }
          case Bin b -> {
            BigInteger[] x = value(b.left(), bound);
            BigInteger[] y = value(b.right(), bound);
            if (x == null || y == null) {
              yield null;
            }
            yield switch (b.op()) {
              case '+' ->
                  new BigInteger[] {
                    x[0].multiply(y[1]).add(y[0].multiply(x[1])), x[1].multiply(y[1])
                  };
              case '-' ->
                  new BigInteger[] {
                    x[0].multiply(y[1]).subtract(y[0].multiply(x[1])), x[1].multiply(y[1])
                  };
              case '*' -> new BigInteger[] {x[0].multiply(y[0]), x[1].multiply(y[1])};
              default ->
                  y[0].signum() == 0
                      ? null
                      : new BigInteger[] {x[0].multiply(y[1]), x[1].multiply(y[0])};
            };
          }
        };
    if (v == null) {
      return null;
    }
    BigInteger g = v[0].gcd(v[1]);
    if (v[1].signum() < 0) {
      g = g.negate();
    }
    v = new BigInteger[] {v[0].divide(g), v[1].divide(g)};
    return v[0].abs().compareTo(bound) > 0 || v[1].compareTo(bound) > 0 ? null : v;
  }

  @Test
  void evaluatorAgreesWithTreeValuesOnTenThousandRandomExpressions() {
    Random rnd = new Random(20240611);
    long bound = Rules.DEFAULT_BOUND;
    int invalid = 0;
    for (int i = 0; i < 10_000; i++) {
      Expr e = random(rnd, 1 + rnd.nextInt(5));
      String text = render(e, rnd);
      BigInteger[] expected = value(e, BigInteger.valueOf(bound));
      ExpressionEvaluator.Value got = evaluate(text, bound);
      if (expected == null) {
        invalid++;
        assertThat(got.ok()).as(text).isFalse();
      } else {
        assertThat(got.ok()).as(text + " -> " + got).isTrue();
        assertThat(new BigInteger[] {got.numerator(), got.denominator()})
            .as(text)
            .containsExactly(expected);
      }
    }
    assertThat(invalid).isBetween(1, 3000); // both branches were exercised
  }

  @Test
  void evaluatorRejectsMalformedInput() {
    for (String bad :
        new String[] {
          "", "  ", "()", "3+", "*3", "3 4", "(3", "3)", "3(4)", "3**2", "3//2", "07", "3+a", "1.5"
        }) {
      assertThat(evaluate(bad, Rules.DEFAULT_BOUND).ok()).as(bad).isFalse();
    }
    assertThat(evaluate("-3*-2", Rules.DEFAULT_BOUND).equalsWhole(6)).isTrue();
    assertThat(evaluate("2--3", Rules.DEFAULT_BOUND).equalsWhole(5)).isTrue();
    assertThat(evaluate("00+0", Rules.DEFAULT_BOUND).equalsWhole(0)).isTrue();
    assertThat(evaluate("1000000*1000001", Rules.DEFAULT_BOUND).ok()).isFalse();
  }
}
