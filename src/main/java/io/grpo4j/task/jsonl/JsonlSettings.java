package io.grpo4j.task.jsonl;

/**
 * How rows of a JSONL dataset become prompts, answers and SFT references: the {@code task.*} keys
 * of a {@code task.name: jsonl} run.
 *
 * @param promptField the field holding the prompt: a string, or a list of chat messages {@code
 *     {role, content}} (default {@code prompt})
 * @param answerField the field holding the reference answer, any JSON value, passed to the reward
 *     (default {@code answer}; a row may leave it out, the reward then sees {@code null})
 * @param completionField the field holding a reference completion for {@code sft} (default {@code
 *     completion}; optional per row, required by {@code sft})
 * @param systemPrompt a system message put before every prompt (default empty: none)
 * @param promptTemplate how a string prompt is put to the model: {@code {prompt}} is replaced by
 *     the prompt and {@code {name}} by the row's field {@code name} (default {@code {prompt}}, the
 *     prompt as it is); e.g. {@code "{prompt}\nAnswer inside <answer></answer>."}
 */
public record JsonlSettings(
    String promptField,
    String answerField,
    String completionField,
    String systemPrompt,
    String promptTemplate) {

  /** The documented defaults. */
  public static final JsonlSettings DEFAULTS =
      new JsonlSettings("prompt", "answer", "completion", "", "{prompt}");

  public JsonlSettings {
    require(promptField, "task.prompt_field");
    require(answerField, "task.answer_field");
    require(completionField, "task.completion_field");
    systemPrompt = systemPrompt == null ? "" : systemPrompt;
    promptTemplate =
        promptTemplate == null || promptTemplate.isEmpty() ? "{prompt}" : promptTemplate;
    if (promptField.equals(answerField) || promptField.equals(completionField)) {
      throw new IllegalArgumentException(
          "task.prompt_field '"
              + promptField
              + "' must differ from the answer and completion fields");
    }
  }

  private static void require(String field, String key) {
    if (field == null || field.isBlank()) {
      throw new IllegalArgumentException(key + " must name a field, got '" + field + "'");
    }
  }
}
