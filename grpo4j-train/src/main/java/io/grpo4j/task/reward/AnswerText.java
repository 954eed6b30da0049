package io.grpo4j.task.reward;

import com.fasterxml.jackson.databind.JsonNode;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Finding the final answer in a completion, and normalising answers for comparison. */
final class AnswerText {
  private static final Pattern ANSWER_TAG = Pattern.compile("(?s)<answer>(.*?)</answer>");
  private static final Pattern HASHES = Pattern.compile("####\\s*([^\\n]*)");
  private static final Pattern SPACES = Pattern.compile("\\s+");

  private AnswerText() {}

  /** The content of the last {@code <answer>…</answer>} block, or null when there is none. */
  static String answerTag(String text) {
    return lastGroup(ANSWER_TAG, text);
  }

  /** The content of the last {@code \boxed{…}} (braces balanced), or null. */
  static String boxed(String text) {
    int at = text.lastIndexOf("\\boxed{");
    if (at < 0) return null;
    int start = at + "\\boxed{".length();
    int depth = 1;
    for (int i = start; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '{') depth++;
      if (c == '}' && --depth == 0) return text.substring(start, i);
    }
    return null;
  }

  /** The text after the last {@code ####} up to the end of its line, or null. */
  static String hashes(String text) {
    return lastGroup(HASHES, text);
  }

  /** Group 1 of the last match of {@code p} in {@code text}, or null when it does not match. */
  private static String lastGroup(Pattern p, String text) {
    Matcher m = p.matcher(text);
    String last = null;
    while (m.find()) last = m.group(1);
    return last;
  }

  /**
   * Normal form for string comparison: Unicode NFKC, lower case, whitespace runs as one space,
   * trimmed, without one trailing period.
   */
  static String normalise(String s) {
    String t = Normalizer.normalize(s, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
    t = SPACES.matcher(t).replaceAll(" ").strip();
    if (t.endsWith(".")) t = t.substring(0, t.length() - 1).stripTrailing();
    return t;
  }

  /** The accepted answers: the elements of a JSON array, or the one value. */
  static List<JsonNode> alternatives(JsonNode answer) {
    List<JsonNode> out = new ArrayList<>();
    if (answer != null && answer.isArray()) answer.forEach(out::add);
    else if (answer != null && !answer.isNull() && !answer.isMissingNode()) out.add(answer);
    return out;
  }
}
