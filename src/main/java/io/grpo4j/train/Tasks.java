package io.grpo4j.train;

import io.grpo4j.task.Task;
import io.grpo4j.task.countdown.AnswerFormat;
import io.grpo4j.task.countdown.CountdownTask;

/** Builds the task a config names. A new task is one more case here; the trainers never change. */
public final class Tasks {
  private Tasks() {}

  public static Task<?> create(RunConfig cfg) {
    return switch (cfg.task().name()) {
      case "countdown" ->
          new CountdownTask(
              cfg.countdown().generator(),
              cfg.countdown().reward(),
              AnswerFormat.parse(cfg.task().format()));
      default ->
          throw new IllegalArgumentException(
              "task.name '" + cfg.task().name() + "' is not a known task (countdown)");
    };
  }
}
