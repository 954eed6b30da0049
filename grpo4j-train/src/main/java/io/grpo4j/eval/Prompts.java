package io.grpo4j.eval;

import io.grpo4j.model.ChatTemplate;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.Tokenizer;
import io.grpo4j.task.ChatMessage;
import io.grpo4j.task.Problem;
import io.grpo4j.task.PromptStyle;
import io.grpo4j.task.Task;

/**
 * Turns problems into prompt token ids: the task's text as it is ({@code plain}), or as a user
 * message rendered through the model's chat template with the generation prompt ({@code chat}),
 * offering the problem's tools ({@link Task#tools}) when it has any.
 */
public final class Prompts<D> {
  private final Task<D> task;
  private final PromptStyle style;
  private final Tokenizer tokenizer;
  private final ChatTemplate template;

  public Prompts(Task<D> task, PromptStyle style, ModelFolder model) {
    this.task = task;
    this.style = style;
    this.tokenizer = model.tokenizer();
    this.template =
        style == PromptStyle.CHAT
            ? model
                .chatTemplate()
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            model.dir()
                                + " has no chat_template in tokenizer_config.json, so task.prompt_style=chat cannot be used; use plain"))
            : null;
  }

  /** How prompts are put to the model: plain text, or through the chat template. */
  public PromptStyle style() {
    return style;
  }

  public String text(Problem<D> problem) {
    if (template == null) return task.prompt(problem, style);
    return template.render(
        task.messages(problem).stream().map(ChatMessage::asMap).toList(),
        task.tools(problem),
        true,
        java.util.Map.of());
  }

  public int[] ids(Problem<D> problem) {
    return tokenizer.encode(text(problem));
  }
}
