package io.grpo4j.task.countdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpo4j.task.Problem;
import io.grpo4j.task.PromptStyle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CountdownTaskTest {
  static final CountdownInstance I56 =
      new CountdownInstance(
          List.of(3L, 5L, 7L),
          56,
          6,
          List.of(new Step(3, Op.ADD, 5, 8), new Step(8, Op.MUL, 7, 56)));
  final CountdownTask steps = CountdownTask.defaults();
  final CountdownTask expression =
      new CountdownTask(
          CountdownSettings.DEFAULTS, CountdownRewards.DEFAULTS, AnswerFormat.EXPRESSION);

  @Test
  void plainPromptsAreShortAndRegular() {
    Problem<CountdownInstance> p = CountdownTask.problem(I56);
    assertThat(steps.prompt(p, PromptStyle.PLAIN))
        .isEqualTo("Reach 56 using at most 6 steps: 3 5 7\n");
    assertThat(expression.prompt(p, PromptStyle.PLAIN))
        .isEqualTo("Reach 56 using each number once: 3 5 7\n");
  }

  @Test
  void chatPromptsStateTheRules() {
    Problem<CountdownInstance> p = CountdownTask.problem(I56);
    assertThat(steps.prompt(p, PromptStyle.CHAT))
        .startsWith("Using the numbers [3, 5, 7], reach the target 56 in at most 6 steps.")
        .contains("`a op b = c`");
    assertThat(expression.prompt(p, PromptStyle.CHAT))
        .startsWith("Using the numbers [3, 5, 7], create an equation that equals 56.")
        .contains("<answer> </answer>");
  }

  @Test
  void referenceCompletions() {
    Problem<CountdownInstance> p = CountdownTask.problem(I56);
    assertThat(steps.referenceCompletion(p)).isEqualTo("3+5=8\n8*7=56\n");
    assertThat(expression.referenceCompletion(p)).isEqualTo("<answer>(3+5)*7</answer>");
    assertThat(steps.verifier().outcome(p, steps.referenceCompletion(p)).success()).isTrue();
    assertThat(expression.verifier().outcome(p, expression.referenceCompletion(p)).success())
        .isTrue();
    assertThatThrownBy(
            () ->
                steps.referenceCompletion(
                    CountdownTask.problem(CountdownInstance.of(List.of(1L, 2L), 3, 6))))
        .hasMessageContaining("no reference solution");
  }

  @Test
  void expressionsUseMinimalParentheses() {
    CountdownInstance i =
        new CountdownInstance(
            List.of(24L, 4L, 2L, 3L),
            18,
            6,
            List.of(
                new Step(4, Op.SUB, 2, 2), new Step(3, Op.MUL, 2, 6), new Step(24, Op.SUB, 6, 18)));
    assertThat(CountdownTask.expression(i)).isEqualTo("24-3*(4-2)");
    CountdownInstance div =
        new CountdownInstance(
            List.of(12L, 2L, 3L, 5L),
            10,
            6,
            List.of(
                new Step(2, Op.MUL, 3, 6), new Step(12, Op.DIV, 6, 2), new Step(5, Op.MUL, 2, 10)));
    // a*(b/c) needs no parentheses in exact arithmetic
    assertThat(CountdownTask.expression(div)).isEqualTo("5*12/(2*3)");
    assertThat(
            ExpressionVerifierTest.evaluate(CountdownTask.expression(div), Rules.DEFAULT_BOUND)
                .equalsWhole(10))
        .isTrue();
    CountdownInstance unused =
        new CountdownInstance(List.of(3L, 5L, 7L), 8, 6, List.of(new Step(3, Op.ADD, 5, 8)));
    assertThatThrownBy(() -> CountdownTask.expression(unused))
        .hasMessageContaining("does not use every number");
  }

  @Test
  void drawIsSeededAndIdsAreStable() {
    assertThat(steps.draw(4, 20)).isEqualTo(steps.draw(4, 20));
    assertThat(steps.draw(4, 20)).isNotEqualTo(steps.draw(5, 20));
    assertThat(I56.id())
        .isEqualTo(new CountdownInstance(List.of(7L, 3L, 5L), 56, 6, List.of()).id());
    assertThat(I56.id()).matches("cd-[0-9a-f]{16}");
    assertThat(I56.key()).isEqualTo("3,5,7->56");
  }

  @Test
  void expressionFormatNeedsEveryNumberUsed() {
    CountdownSettings partial =
        CountdownSettings.fromMap(java.util.Map.of("use_all_numbers", false));
    assertThatThrownBy(
            () -> new CountdownTask(partial, CountdownRewards.DEFAULTS, AnswerFormat.EXPRESSION))
        .hasMessageContaining("countdown.generator.use_all_numbers must be true");
  }

  @Test
  void jsonlRoundTrip(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("d.jsonl");
    List<Problem<CountdownInstance>> drawn = steps.draw(8, 30);
    StringBuilder sb = new StringBuilder();
    drawn.forEach(p -> sb.append(CountdownJsonl.format(p.id(), p.data())).append('\n'));
    Files.writeString(file, sb + "\n");
    assertThat(steps.readProblems(file)).isEqualTo(drawn);
    assertThat(CountdownJsonl.format(I56.id(), I56))
        .isEqualTo(
            "{\"id\":\""
                + I56.id()
                + "\",\"numbers\":[3,5,7],\"target\":56,\"max_steps\":6,\"solution\":[\"3+5=8\",\"8*7=56\"]}");
  }

  @Test
  void jsonlDefaultsAndLenientSolutionText() {
    CountdownJsonl.Entry e =
        CountdownJsonl.parse(
            "{\"numbers\":[3,5,7],\"target\":56,\"solution\":\"3 + 5 = 8\\n8 x 7 = 56\\n\"}",
            "f:1");
    assertThat(e.instance()).isEqualTo(I56);
    assertThat(e.id()).isEqualTo(I56.id());
  }

  @Test
  void jsonlErrorsNameFileLineAndField() {
    assertThatThrownBy(
            () -> CountdownJsonl.parse("{\"numbers\":[3,\"5\"],\"target\":8}", "d.jsonl:4"))
        .hasMessage("d.jsonl:4: field 'numbers' must hold whole numbers, got \"5\"");
    assertThatThrownBy(() -> CountdownJsonl.parse("{\"numbers\":[3,5]}", "d.jsonl:2"))
        .hasMessage("d.jsonl:2: field 'target' is missing");
    assertThatThrownBy(
            () ->
                CountdownJsonl.parse(
                    "{\"numbers\":[3,5],\"target\":8,\"max_steps\":0}", "d.jsonl:2"))
        .hasMessageContaining("d.jsonl:2: field 'max_steps' must be in 1..64");
    assertThatThrownBy(
            () ->
                CountdownJsonl.parse(
                    "{\"numbers\":[3,5],\"target\":8,\"solution\":[\"3+5=9\"]}", "d.jsonl:3"))
        .hasMessageContaining("d.jsonl:3: solution line '3+5=9'");
    assertThatThrownBy(
            () ->
                CountdownJsonl.parse(
                    "{\"numbers\":[3,5],\"target\":9,\"solution\":[\"3+5=8\"]}", "d.jsonl:5"))
        .hasMessageContaining(
            "d.jsonl:5: solution [3+5=8] is not valid: the last step does not produce 9");
    assertThatThrownBy(() -> CountdownJsonl.parse("{\"numbers\":[3,5", "d.jsonl:6"))
        .hasMessageStartingWith("d.jsonl:6: not valid JSON");
  }
}
