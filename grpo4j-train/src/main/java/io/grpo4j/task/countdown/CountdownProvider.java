package io.grpo4j.task.countdown;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpo4j.task.Task;
import io.grpo4j.task.TaskContext;
import io.grpo4j.task.TaskProvider;
import java.util.Map;

/**
 * Countdown as a {@link TaskProvider}: {@code task.name: countdown}, {@code task.format}, and the
 * {@code countdown.generator} / {@code countdown.reward} sections.
 */
public final class CountdownProvider implements TaskProvider {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public String name() {
    return CountdownTask.NAME;
  }

  @Override
  public Task<?> create(TaskContext context) {
    return new CountdownTask(
        CountdownSettings.fromMap(map(context.at("countdown.generator"))),
        CountdownRewards.fromMap(map(context.at("countdown.reward"))),
        AnswerFormat.parse(context.text("task.format", "steps")));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, ?> map(JsonNode node) {
    return node.isObject() ? JSON.convertValue(node, Map.class) : Map.of();
  }
}
