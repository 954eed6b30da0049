package io.grpo4j.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scoring a file of completions ({@code grpo4j score}'s pipelines) with a verifier whose prefix
 * score is 0.1 per letter 'a', so every trace point and reward is counted by hand.
 */
class ScoredCompletionsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** 0.1 per 'a' in the text; success when the text holds two or more. */
  static final Verifier<String> COUNT_A =
      new Verifier<>() {
        @Override
        public PrefixScore score(Problem<String> problem, CharSequence prefix) {
          long a = prefix.chars().filter(c -> c == 'a').count();
          return new PrefixScore(0.1 * a, false, a + " a");
        }

        @Override
        public Outcome outcome(Problem<String> problem, CharSequence completion) {
          long a = completion.chars().filter(c -> c == 'a').count();
          return new Outcome(0.1 * a, a >= 2, a + " a");
        }
      };

  static final Problem<String> P = new Problem<>("p", "");

  @Test
  void theTraceHasAPointWhereTheScoreChangesCountedInCodePoints() {
    // "x😀a-a": the emoji is two chars but one code point, and no boundary inside it is scored
    String text = "x\uD83D\uDE00a-a";
    assertThat(ScoredCompletions.trace(COUNT_A, P, text).toString())
        .isEqualTo(
            "[{\"chars\":3,\"score\":0.1,\"reason\":\"1 a\"},"
                + "{\"chars\":5,\"score\":0.2,\"reason\":\"2 a\"}]");
    assertThat(ScoredCompletions.trace(COUNT_A, P, "xyz")).isEmpty();
  }

  @Test
  void aLongTextIsTracedAtLineEndsOnly() {
    String line = "a" + "x".repeat(99) + "\n";
    String text = line.repeat(ScoredCompletions.FULL_TRACE_MAX_CHARS / line.length() + 1) + "a";
    var trace = ScoredCompletions.trace(COUNT_A, P, text);
    int lines = ScoredCompletions.FULL_TRACE_MAX_CHARS / line.length() + 1;
    assertThat(trace).hasSize(lines + 1);
    assertThat(trace.get(0).get("chars").asInt()).isEqualTo(line.length());
    assertThat(trace.get(lines).get("chars").asInt()).isEqualTo(text.length());
  }

  @Test
  void roundingPrintsThreeTimesATenthAsThreeTenths() {
    assertThat(ScoredCompletions.rounded(3 * 0.1).toPlainString()).isEqualTo("0.3");
    assertThat(ScoredCompletions.rounded(-0.0).toPlainString()).isEqualTo("0");
    assertThat(ScoredCompletions.rounded(2.0).toPlainString()).isEqualTo("2");
  }

  @Test
  void verifyAddsRewardSuccessReasonAndTraceToEachLine() throws IOException {
    List<ScoredCompletions.Line<String>> lines =
        List.of(line("{\"q\":1}", "aa"), line("{\"q\":2}", "b"), line("{\"q\":3}", "a"));
    ScoredCompletions s = ScoredCompletions.verify(COUNT_A, lines);
    assertThat(s.jsonl())
        .isEqualTo(
            "{\"q\":1,\"reward\":0.2,\"success\":true,\"reason\":\"2 a\",\"trace\":"
                + "[{\"chars\":1,\"score\":0.1,\"reason\":\"1 a\"},"
                + "{\"chars\":2,\"score\":0.2,\"reason\":\"2 a\"}]}\n"
                + "{\"q\":2,\"reward\":0,\"success\":false,\"reason\":\"0 a\",\"trace\":[]}\n"
                + "{\"q\":3,\"reward\":0.1,\"success\":false,\"reason\":\"1 a\",\"trace\":"
                + "[{\"chars\":1,\"score\":0.1,\"reason\":\"1 a\"}]}\n");
    // mean (0.2 + 0 + 0.1) / 3 = 0.1
    assertThat(s.summary()).isEqualTo("scored 3 completions: mean reward 0.1, solved 1/3");
    assertThat(
            ScoredCompletions.verify(COUNT_A, List.<ScoredCompletions.Line<String>>of()).summary())
        .isEqualTo("scored 0 completions: mean reward n/a, solved 0/0");
  }

  @Test
  void judgeScoresAFileInOneBatchAndMarksFailedRequests(@TempDir Path dir) throws IOException {
    Path in = dir.resolve("in.jsonl");
    Files.writeString(
        in,
        "{\"id\":\"a\",\"text\":\"aa\"}\n\n{\"id\":\"bad\",\"text\":\"a\"}\n{\"id\":\"c\",\"text\":\"\"}\n");
    StubTask task = new StubTask();
    ScoredCompletions s = ScoredCompletions.judge(task, in, "text");
    assertThat(task.batches).isEqualTo(1);
    assertThat(s.jsonl().lines().toList())
        .containsExactly(
            "{\"id\":\"a\",\"text\":\"aa\",\"reward\":0.2,\"success\":true,\"reason\":\"2 a\","
                + "\"trace\":[{\"chars\":1,\"score\":0.1,\"reason\":\"1 a\"},"
                + "{\"chars\":2,\"score\":0.2,\"reason\":\"2 a\"}]}",
            "{\"id\":\"bad\",\"text\":\"a\",\"failed\":\"service down\"}",
            "{\"id\":\"c\",\"text\":\"\",\"reward\":0,\"success\":false,\"reason\":\"0 a\","
                + "\"trace\":[]}");
    assertThat(s.summary())
        .isEqualTo(
            "scored 2 completions: mean reward 0.1, solved 1/2;"
                + " 1 reward requests failed (field 'failed')");
    assertThatThrownBy(() -> ScoredCompletions.judge(task, in, "answer"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(in + ":1: field 'answer' must be a string");
  }

  static ScoredCompletions.Line<String> line(String json, String completion) throws IOException {
    return new ScoredCompletions.Line<>(P, (ObjectNode) JSON.readTree(json), completion);
  }

  /** Problems are the lines' ids; the problem "bad" fails to be judged. */
  static final class StubTask implements Task<String> {
    int batches;

    @Override
    public String name() {
      return "stub";
    }

    @Override
    public List<Problem<String>> draw(long seed, int n) {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<Problem<String>> readProblems(Path jsonl) throws IOException {
      List<Problem<String>> out = new ArrayList<>();
      for (String text : Files.readAllLines(jsonl)) {
        if (!text.isBlank()) out.add(new Problem<>(JSON.readTree(text).get("id").asText(), ""));
      }
      return out;
    }

    @Override
    public String prompt(Problem<String> problem, PromptStyle style) {
      return problem.id();
    }

    @Override
    public String referenceCompletion(Problem<String> problem) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Verifier<String> verifier() {
      return COUNT_A;
    }

    @Override
    public List<Verdict<String>> judge(List<Problem<String>> problems, List<String> completions) {
      batches++;
      List<Verdict<String>> out = new ArrayList<>();
      for (int i = 0; i < problems.size(); i++) {
        out.add(
            problems.get(i).id().equals("bad")
                ? new Verdict<>(null, null, "service down")
                : Verdict.of(COUNT_A, problems.get(i), completions.get(i)));
      }
      return out;
    }
  }
}
