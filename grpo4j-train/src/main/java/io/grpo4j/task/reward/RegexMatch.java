package io.grpo4j.task.reward;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reward 1 when a regular expression (Java syntax) finds a match in the completion, else 0. With a
 * {@code group}, the last match's group must also equal the reference answer as normalised strings
 * (see {@link ExactMatch}); a JSON array as the reference lists accepted alternatives.
 */
public final class RegexMatch implements AnswerMatcher {
  private final Pattern pattern;
  private final Integer group;

  /**
   * @param pattern the regular expression
   * @param group the capturing group compared with the answer, or null to require a match only
   */
  public RegexMatch(String pattern, Integer group) {
    if (pattern == null || pattern.isEmpty()) {
      throw new IllegalArgumentException("reward source 'regex' needs a 'pattern'");
    }
    Pattern compiled;
    try {
      compiled = Pattern.compile(pattern);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "reward source 'regex': bad pattern: " + e.getMessage().replace('\n', ' '));
    }
    if (group != null && (group < 0 || group > compiled.matcher("").groupCount())) {
      throw new IllegalArgumentException(
          "reward source 'regex': group " + group + " does not exist in pattern '" + pattern + "'");
    }
    this.pattern = compiled;
    this.group = group;
  }

  @Override
  public Judgement judgeOne(RewardRequest request) {
    Matcher m = pattern.matcher(request.completion());
    String last = null;
    boolean found = false;
    while (m.find()) {
      found = true;
      last = group == null ? m.group() : m.group(group);
    }
    if (!found) return Judgement.of(0.0, false, "regex: no match");
    if (group == null) return Judgement.of(1.0, true, "regex: matches");
    String given = AnswerText.normalise(last == null ? "" : last);
    for (JsonNode alt : AnswerText.alternatives(request.answer())) {
      if (given.equals(AnswerText.normalise(RewardRequest.answerText(alt)))) {
        return Judgement.of(1.0, true, "regex: group " + group + " '" + given + "' matches");
      }
    }
    return Judgement.of(
        0.0,
        false,
        "regex: group " + group + " '" + ExactMatch.abbreviate(given) + "' is not the answer");
  }
}
