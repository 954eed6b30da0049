package io.grpo4j.run;

import io.grpo4j.config.ConfigLoader;
import io.grpo4j.config.RunConfig;
import io.grpo4j.task.Task;
import io.grpo4j.task.TaskContext;
import io.grpo4j.task.TaskProviders;
import io.grpo4j.task.env.EnvironmentClient;
import io.grpo4j.task.env.EnvironmentTask;
import io.grpo4j.task.env.Environments;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Builds the task a config names, through the {@link io.grpo4j.task.TaskProvider}s on the class
 * path (the thread's context class loader, which {@code --plugin} jars extend): Countdown, the
 * JSONL task, or a plug-in, played as multi-turn episodes when the config has an environment
 * ({@code env:}). The trainers never change for a new task.
 */
public final class Tasks {
  private Tasks() {}

  /** The task of a config; relative file names are resolved against the current directory. */
  public static Task<?> create(RunConfig cfg) throws IOException {
    TaskContext context = new TaskContext(ConfigLoader.toTree(cfg), Path.of("").toAbsolutePath());
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    Task<?> task = TaskProviders.create(context, loader);
    return cfg.env().enabled() ? withEnvironment(task, cfg, context, loader) : task;
  }

  /** {@code task} played as episodes against the environment of {@code env:}. */
  private static <D> Task<D> withEnvironment(
      Task<D> task, RunConfig cfg, TaskContext context, ClassLoader loader) throws IOException {
    EnvironmentClient client;
    try {
      client = Environments.open(cfg.env(), context, loader);
    } catch (IOException | RuntimeException e) {
      task.close();
      throw e;
    }
    try {
      return new EnvironmentTask<>(task, cfg.env(), client);
    } catch (RuntimeException e) {
      client.close();
      task.close();
      throw e;
    }
  }
}
