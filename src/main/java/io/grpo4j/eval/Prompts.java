package io.grpo4j.eval;

import io.grpo4j.model.ChatTemplate;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.Tokenizer;
import io.grpo4j.task.Problem;
import io.grpo4j.task.PromptStyle;
import io.grpo4j.task.Task;
import java.util.List;
import java.util.Map;

/**
 * Turns problems into prompt token ids: the task's text as it is ({@code plain}), or as a user
 * message rendered through the model's chat template with the generation prompt ({@code chat}).
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

  public String text(Problem<D> problem) {
    String body = task.prompt(problem, style);
    if (template == null) return body;
    return template.render(List.of(Map.of("role", "user", "content", body)), true);
  }

  public int[] ids(Problem<D> problem) {
    return tokenizer.encode(text(problem));
  }
}
