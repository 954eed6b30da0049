package io.grpo4j.task.reward;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A format reward, independent of correctness: 1 when the whole completion matches a pattern, else
 * 0. The default pattern asks for exactly one non-empty {@code <answer>…</answer>} block with
 * nothing but whitespace after it (anything, e.g. reasoning, may come before).
 */
public final class FormatCheck implements AnswerMatcher {
  /** The default: one answer block, last. */
  public static final String DEFAULT_PATTERN =
      "(?s)(?:(?!<answer>).)*<answer>(?:(?!</?answer>).)+</answer>\\s*";

  private final Pattern pattern;

  /**
   * @param pattern must match the whole completion; null or empty for {@link #DEFAULT_PATTERN}
   */
  public FormatCheck(String pattern) {
    String p = pattern == null || pattern.isEmpty() ? DEFAULT_PATTERN : pattern;
    try {
      this.pattern = Pattern.compile(p);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "reward source 'format': bad pattern: " + e.getMessage().replace('\n', ' '));
    }
  }

  @Override
  public Judgement judgeOne(RewardRequest request) {
    boolean ok = pattern.matcher(request.completion()).matches();
    return Judgement.of(ok ? 1.0 : 0.0, ok, ok ? "format: ok" : "format: does not match");
  }
}
