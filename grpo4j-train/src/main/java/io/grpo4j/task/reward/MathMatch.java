package io.grpo4j.task.reward;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reward 1 when the completion's final answer equals the reference as an exact rational number,
 * else 0 ({@code 0.5}, {@code 1/2}, {@code \frac{1}{2}} and {@code 2/4} are all equal; {@code 0.33}
 * is not {@code 1/3}).
 *
 * <p>The final answer is looked for in this order: the last {@code <answer>…</answer>}, the last
 * {@code \boxed{…}}, the text after the last {@code ####}, and finally the last number anywhere in
 * the completion. Within the found text, the whole text is read as a number if it is one ({@code
 * -1,234.5}, {@code 7/2}, {@code \frac{7}{2}}, {@code $12}, {@code 1e3}); otherwise its last number
 * is taken ({@code x = 5} → 5). A reference that is not a number is compared as a normalised string
 * (as {@link ExactMatch}); a JSON array lists accepted alternatives.
 */
public final class MathMatch implements AnswerMatcher {
  private static final Pattern NUMBER =
      Pattern.compile(
          "[-−]?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?(?:[eE][-+]?\\d+)?"
              + "(?:\\s*/\\s*(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?)?|[-−]?\\.\\d+");
  private static final Pattern FRAC =
      Pattern.compile("\\\\[dt]?frac\\s*\\{\\s*([^{}]*)\\}\\s*\\{\\s*([^{}]*)\\}");

  @Override
  public Judgement judgeOne(RewardRequest request) {
    String text = request.completion();
    String found = AnswerText.answerTag(text);
    if (found == null) found = AnswerText.boxed(text);
    if (found == null) found = AnswerText.hashes(text);
    if (found == null) found = text;
    Optional<Rational> given = numberIn(found);
    for (JsonNode alt : AnswerText.alternatives(request.answer())) {
      String ref = RewardRequest.answerText(alt);
      Optional<Rational> want = Rational.parse(clean(ref));
      boolean equal =
          want.isPresent()
              ? given.isPresent() && given.get().equals(want.get())
              : AnswerText.normalise(found).equals(AnswerText.normalise(ref));
      if (equal) {
        return Judgement.of(1.0, true, "math: " + show(given, found) + " = " + ref);
      }
    }
    return Judgement.of(0.0, false, "math: " + show(given, found) + " is not the answer");
  }

  private static String show(Optional<Rational> given, String found) {
    return given.map(Rational::toString).orElse("'" + ExactMatch.abbreviate(found.strip()) + "'");
  }

  /** The number a found answer text stands for: the whole text if numeric, else its last number. */
  static Optional<Rational> numberIn(String found) {
    String c = clean(found);
    Optional<Rational> whole = Rational.parse(c);
    if (whole.isPresent()) return whole;
    Matcher m = NUMBER.matcher(c);
    String last = null;
    while (m.find()) last = m.group();
    return last == null ? Optional.empty() : Rational.parse(last);
  }

  /** Drops LaTeX and currency decoration: {@code $}, {@code \!}, {@code \,}, {@code \frac}. */
  static String clean(String s) {
    String t = s.strip();
    t = FRAC.matcher(t).replaceAll("($1)/($2)");
    t = t.replace("\\!", "").replace("\\,", "").replace("$", "").replace("\\left", "");
    t = t.replace("\\right", "").replace("−", "-").strip();
    if (t.endsWith(".")) t = t.substring(0, t.length() - 1);
    return t.strip();
  }

  /** An exact rational number p/q in lowest terms, q > 0. */
  record Rational(BigInteger num, BigInteger den) {
    private static final Pattern DECIMAL =
        Pattern.compile("[-+]?(?:\\d{1,3}(?:,\\d{3})+|\\d+)?(?:\\.\\d+)?(?:[eE][-+]?\\d+)?");

    Rational {
      if (den.signum() == 0) throw new ArithmeticException("zero denominator");
      if (den.signum() < 0) {
        num = num.negate();
        den = den.negate();
      }
      BigInteger g = num.gcd(den);
      if (!g.equals(BigInteger.ONE) && g.signum() != 0) {
        num = num.divide(g);
        den = den.divide(g);
      }
    }

    /**
     * Parses a decimal ({@code -1,234.50}, {@code 1e-3}) or a quotient of two of them, each side
     * optionally in parentheses ({@code (7)/(2)}); empty when the text is anything else.
     */
    static Optional<Rational> parse(String text) {
      String t = text.replace(" ", "");
      int slash = t.indexOf('/');
      if (slash >= 0) {
        Optional<Rational> p = decimal(unwrap(t.substring(0, slash)));
        Optional<Rational> q = decimal(unwrap(t.substring(slash + 1)));
        if (p.isEmpty() || q.isEmpty() || q.get().num.signum() == 0) return Optional.empty();
        return Optional.of(
            new Rational(p.get().num.multiply(q.get().den), p.get().den.multiply(q.get().num)));
      }
      return decimal(unwrap(t));
    }

    private static String unwrap(String t) {
      return t.length() >= 2 && t.startsWith("(") && t.endsWith(")")
          ? t.substring(1, t.length() - 1)
          : t;
    }

    private static Optional<Rational> decimal(String t) {
      if (t.isEmpty() || !DECIMAL.matcher(t).matches() || !t.matches(".*\\d.*")) {
        return Optional.empty();
      }
      String plain = t.replace(",", "");
      if (plain.matches(".*[eE][-+]?\\d{4,}")) return Optional.empty(); // absurd exponents
      BigDecimal d = new BigDecimal(plain);
      if (d.scale() > 0) {
        return Optional.of(new Rational(d.unscaledValue(), BigInteger.TEN.pow(d.scale())));
      }
      return Optional.of(new Rational(d.toBigIntegerExact(), BigInteger.ONE));
    }

    @Override
    public String toString() {
      return den.equals(BigInteger.ONE) ? num.toString() : num + "/" + den;
    }
  }
}
