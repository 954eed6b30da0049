package io.grpo4j.run;

import io.grpo4j.config.ConfigLoader;
import io.grpo4j.config.RunConfig;
import io.grpo4j.task.Task;
import io.grpo4j.task.TaskContext;
import io.grpo4j.task.TaskProviders;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Builds the task a config names, through the {@link io.grpo4j.task.TaskProvider}s on the class
 * path (the thread's context class loader, which {@code --plugin} jars extend): Countdown, the
 * JSONL task, or a plug-in. The trainers never change for a new task.
 */
public final class Tasks {
  private Tasks() {}

  /** The task of a config; relative file names are resolved against the current directory. */
  public static Task<?> create(RunConfig cfg) throws IOException {
    return TaskProviders.create(
        new TaskContext(ConfigLoader.toTree(cfg), Path.of("").toAbsolutePath()),
        Thread.currentThread().getContextClassLoader());
  }
}
