package io.grpo4j.task.jsonl;

/**
 * How rows of a JSONL dataset become prompts, answers and SFT references: the {@code task.*} keys
 * of a {@code task.name: jsonl} run. Each key's default is the constant named after it.
 *
 * @param promptField the field holding the prompt: a string, or a list of chat messages {@code
 *     {role, content}} ({@link #PROMPT_FIELD})
 * @param answerField the field holding the reference answer, any JSON value, passed to the reward;
 *     a row may leave it out, the reward then sees {@code null} ({@link #ANSWER_FIELD})
 * @param completionField the field holding a reference completion for {@code sft}; optional per
 *     row, required by {@code sft} ({@link #COMPLETION_FIELD})
 * @param systemPrompt a system message put before every prompt ({@link #SYSTEM_PROMPT})
 * @param promptTemplate how a string prompt is put to the model: {@code {prompt}} is replaced by
 *     the prompt and {@code {name}} by the row's field {@code name}; e.g. {@code "{prompt}\nAnswer
 *     inside <answer></answer>."} ({@link #PROMPT_TEMPLATE})
 */
public record JsonlSettings(
    String promptField,
    String answerField,
    String completionField,
    String systemPrompt,
    String promptTemplate) {

  /** Default {@code task.prompt_field}: the name most datasets use. */
  public static final String PROMPT_FIELD = "prompt";

  /** Default {@code task.answer_field}: the name most datasets use. */
  public static final String ANSWER_FIELD = "answer";

  /** Default {@code task.completion_field}: the name most datasets use. */
  public static final String COMPLETION_FIELD = "completion";

  /** Default {@code task.system_prompt}: empty, no system message. */
  public static final String SYSTEM_PROMPT = "";

  /** Default {@code task.prompt_template}: the prompt as it is. */
  public static final String PROMPT_TEMPLATE = "{prompt}";

  /** The defaults above. */
  public static final JsonlSettings DEFAULTS =
      new JsonlSettings(
          PROMPT_FIELD, ANSWER_FIELD, COMPLETION_FIELD, SYSTEM_PROMPT, PROMPT_TEMPLATE);

  public JsonlSettings {
    require(promptField, "task.prompt_field");
    require(answerField, "task.answer_field");
    require(completionField, "task.completion_field");
    systemPrompt = systemPrompt == null ? SYSTEM_PROMPT : systemPrompt;
    promptTemplate =
        promptTemplate == null || promptTemplate.isEmpty() ? PROMPT_TEMPLATE : promptTemplate;
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
