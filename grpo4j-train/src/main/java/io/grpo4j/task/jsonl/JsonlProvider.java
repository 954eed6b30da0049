package io.grpo4j.task.jsonl;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Task;
import io.grpo4j.task.TaskContext;
import io.grpo4j.task.TaskProvider;
import io.grpo4j.task.reward.RewardConfig;
import io.grpo4j.task.reward.Rewards;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The JSONL task as a {@link TaskProvider}: {@code task.name: jsonl}; fields and templates from
 * {@code task.*} ({@link JsonlSettings}), rows from {@code data.train_file} (optional for
 * evaluation-only use), rewards from the {@code reward:} section ({@link RewardConfig}), which must
 * name at least one source.
 */
public final class JsonlProvider implements TaskProvider {
  private static final ObjectMapper SNAKE =
      new ObjectMapper()
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  @Override
  public String name() {
    return JsonlTask.NAME;
  }

  @Override
  public Task<?> create(TaskContext context) throws IOException {
    JsonlSettings d = JsonlSettings.DEFAULTS;
    JsonlSettings settings =
        new JsonlSettings(
            context.text("task.prompt_field", d.promptField()),
            context.text("task.answer_field", d.answerField()),
            context.text("task.completion_field", d.completionField()),
            context.text("task.system_prompt", d.systemPrompt()),
            context.text("task.prompt_template", d.promptTemplate()));
    RewardConfig config = rewardConfig(context.at("reward"));
    boolean env =
        !context.text("env.command", "").isBlank() || !context.text("env.name", "").isBlank();
    if (env && !config.sources().isEmpty()) {
      throw new IllegalArgumentException(
          "with env.command or env.name the reward comes from the environment's done replies;"
              + " remove reward.sources");
    }
    if (!env && config.sources().isEmpty()) {
      throw new IllegalArgumentException(
          "task.name jsonl needs at least one reward source under reward.sources, e.g."
              + " [{type: math}] or [{type: command, command: \"python3 reward.py\"}]"
              + " (or an environment under env:)");
    }
    Path trainFile = context.file("data.train_file");
    List<Problem<JsonlRow>> train =
        trainFile == null ? List.of() : JsonlDataset.read(trainFile, settings);
    return new JsonlTask(
        settings, train, env ? FROM_ENVIRONMENT : Rewards.create(config, context.workDir()));
  }

  /**
   * The rewards of an environment run: they come with the episodes (the environment's done
   * replies), so judging a completion on its own is a failure that says so.
   */
  static final io.grpo4j.task.reward.RewardSource FROM_ENVIRONMENT =
      batch ->
          batch.stream()
              .map(
                  r ->
                      io.grpo4j.task.reward.Judgement.failure(
                          "this run's rewards come from its environment (env:), which judges"
                              + " whole episodes"))
              .toList();

  /** Binds a {@code reward:} tree (snake_case keys; missing keys keep their defaults). */
  public static RewardConfig rewardConfig(JsonNode node) {
    if (node == null || node.isMissingNode() || node.isNull()) return RewardConfig.DEFAULTS;
    if (!node.isObject()) throw new IllegalArgumentException("reward: expected a mapping");
    ObjectNode merged = SNAKE.valueToTree(RewardConfig.DEFAULTS);
    merged.setAll((ObjectNode) node);
    try {
      return SNAKE.treeToValue(merged, RewardConfig.class);
    } catch (IOException | IllegalArgumentException e) {
      Throwable c = e;
      while (c.getCause() != null) c = c.getCause();
      throw new IllegalArgumentException("reward: " + c.getMessage(), e);
    }
  }
}
