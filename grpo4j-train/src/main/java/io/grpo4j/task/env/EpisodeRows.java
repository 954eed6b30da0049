package io.grpo4j.task.env;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import io.grpo4j.task.Problem;
import io.grpo4j.task.PromptStyle;
import io.grpo4j.task.Task;

/**
 * What an environment is told about an episode's problem: a task that knows its rows (the {@code
 * jsonl} task) passes the row's prompt, answer and other fields; any other task passes its plain
 * prompt text, no answer and the problem's id.
 */
public interface EpisodeRows<D> {

  /**
   * The request fields of a problem.
   *
   * @param prompt the prompt before any template: a string or the row's chat messages
   * @param answer the row's reference answer ({@code null} when none)
   * @param metadata the row's other fields
   */
  record Row(JsonNode prompt, JsonNode answer, JsonNode metadata) {}

  /** The fields of {@code problem}. */
  Row row(Problem<D> problem);

  /** The fields of {@code problem} of any task. */
  @SuppressWarnings("unchecked")
  static <D> Row of(Task<D> task, Problem<D> problem) {
    if (task instanceof EpisodeRows<?> rows) return ((EpisodeRows<D>) rows).row(problem);
    return new Row(
        TextNode.valueOf(task.prompt(problem, PromptStyle.PLAIN)),
        JsonNodeFactory.instance.nullNode(),
        JsonNodeFactory.instance.objectNode().put("id", problem.id()));
  }
}
