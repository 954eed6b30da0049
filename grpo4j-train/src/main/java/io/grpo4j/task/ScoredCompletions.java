package io.grpo4j.task;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A file of completions scored by a task (what {@code grpo4j score} writes, so users can debug
 * their reward settings): each input line with {@code reward}, {@code success}, {@code reason} and
 * {@code trace} — the prefix score wherever it changes along the text, {@code chars} = the length
 * of the prefix in characters — or with {@code failed} where the reward request failed; and the
 * counts behind the summary line.
 *
 * @param jsonl the scored lines, one JSON object a line, each ending in a newline
 * @param scored completions that got a reward (failed ones not counted)
 * @param solved completions judged a success
 * @param failed completions whose reward request failed
 * @param totalReward the sum of the rewards of the scored completions
 */
public record ScoredCompletions(
    String jsonl, int scored, int solved, int failed, double totalReward) {
  /**
   * Above this length the trace is taken at line ends only (prefix scoring is linear, a full trace
   * quadratic).
   */
  public static final int FULL_TRACE_MAX_CHARS = 8192;

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
          .disable(SerializationFeature.INDENT_OUTPUT);

  /**
   * One input line to score.
   *
   * @param problem the problem the line states
   * @param json the line as read; scoring adds its fields to it
   * @param completion the text to score
   */
  public record Line<D>(Problem<D> problem, ObjectNode json, String completion) {}

  /** Scores each line with {@code verifier}, one line at a time (a verifier never fails). */
  public static <D> ScoredCompletions verify(Verifier<D> verifier, List<Line<D>> lines)
      throws IOException {
    StringBuilder out = new StringBuilder();
    int solved = 0;
    double total = 0;
    for (Line<D> line : lines) {
      Outcome outcome = verifier.outcome(line.problem(), line.completion());
      add(line.json(), outcome, trace(verifier, line.problem(), line.completion()));
      out.append(JSON.writeValueAsString(line.json())).append('\n');
      solved += outcome.success() ? 1 : 0;
      total += outcome.reward();
    }
    return new ScoredCompletions(out.toString(), lines.size(), solved, 0, total);
  }

  /**
   * Scores a JSONL file in {@code task}'s schema, each line with its completion in {@code
   * completionField}, with one {@link Task#judge} call for the whole file (a reward program or
   * service sees it as one batch; its failures are lines with {@code failed}).
   */
  public static <D> ScoredCompletions judge(Task<D> task, Path input, String completionField)
      throws IOException {
    List<Problem<D>> problems = task.readProblems(input);
    List<ObjectNode> lines = new ArrayList<>();
    List<String> completions = new ArrayList<>();
    int lineNo = 0;
    for (String text : Files.readAllLines(input, StandardCharsets.UTF_8)) {
      lineNo++;
      if (text.isBlank()) continue;
      ObjectNode line = (ObjectNode) JSON.readTree(text);
      lines.add(line);
      completions.add(completion(line, completionField, input + ":" + lineNo));
    }
    List<Verdict<D>> verdicts = task.judge(problems, completions);
    StringBuilder out = new StringBuilder();
    int solved = 0;
    int failed = 0;
    double total = 0;
    for (int i = 0; i < lines.size(); i++) {
      ObjectNode result = lines.get(i);
      Verdict<D> v = verdicts.get(i);
      if (v.failed()) {
        result.put("failed", v.failure());
        failed++;
      } else {
        add(result, v.outcome(), trace(v.prefixes(), problems.get(i), completions.get(i)));
        solved += v.outcome().success() ? 1 : 0;
        total += v.outcome().reward();
      }
      out.append(JSON.writeValueAsString(result)).append('\n');
    }
    return new ScoredCompletions(out.toString(), lines.size() - failed, solved, failed, total);
  }

  /**
   * The text field {@code field} of a line; {@code where} (file:line) names it in the error.
   *
   * @throws IllegalArgumentException if the field is missing or not a string
   */
  public static String completion(JsonNode line, String field, String where) {
    JsonNode c = line.get(field);
    if (c == null || !c.isTextual()) {
      throw new IllegalArgumentException(where + ": field '" + field + "' must be a string");
    }
    return c.asText();
  }

  /**
   * One line: {@code scored N completions: mean reward R, solved S/N}, and how many reward requests
   * failed, if any.
   */
  public String summary() {
    return "scored "
        + scored
        + " completions: mean reward "
        + (scored == 0 ? "n/a" : rounded(totalReward / scored).toPlainString())
        + ", solved "
        + solved
        + "/"
        + scored
        + (failed > 0 ? "; " + failed + " reward requests failed (field 'failed')" : "");
  }

  private static void add(ObjectNode result, Outcome outcome, ArrayNode trace) {
    result.put("reward", rounded(outcome.reward()));
    result.put("success", outcome.success());
    result.put("reason", outcome.reason());
    result.set("trace", trace);
  }

  /**
   * The prefix score at every character boundary where it changes (at line ends only for texts
   * longer than {@link #FULL_TRACE_MAX_CHARS}). Boundaries inside a surrogate pair are skipped.
   */
  public static <D> ArrayNode trace(Verifier<D> verifier, Problem<D> problem, String text) {
    ArrayNode trace = JSON.createArrayNode();
    double previous = verifier.score(problem, "").value();
    boolean full = text.length() <= FULL_TRACE_MAX_CHARS;
    for (int end = 1; end <= text.length(); end++) {
      boolean boundary =
          end == text.length()
              || (full
                  ? !Character.isLowSurrogate(text.charAt(end))
                  : text.charAt(end - 1) == '\n');
      if (!boundary) {
        continue;
      }
      PrefixScore s = verifier.score(problem, text.substring(0, end));
      if (s.value() != previous) {
        ObjectNode point = trace.addObject();
        point.put("chars", text.codePointCount(0, end));
        point.put("score", rounded(s.value()));
        point.put("reason", s.reason());
        previous = s.value();
      }
    }
    return trace;
  }

  /** Rounds to 9 decimals so 3 * 0.1 prints as 0.3 in the JSON. */
  public static BigDecimal rounded(double v) {
    BigDecimal d = BigDecimal.valueOf(v).setScale(9, RoundingMode.HALF_EVEN).stripTrailingZeros();
    return d.signum() == 0 ? BigDecimal.ZERO : d;
  }
}
