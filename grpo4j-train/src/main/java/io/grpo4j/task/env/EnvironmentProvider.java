package io.grpo4j.task.env;

import io.grpo4j.task.TaskContext;
import java.io.IOException;

/**
 * Supplies an {@link Environment} by name: {@code env.name: my-env} in a run config selects it.
 * Found with {@link java.util.ServiceLoader}: list the class in {@code
 * META-INF/services/io.grpo4j.task.env.EnvironmentProvider} of a jar on {@code GRPO4J_CLASSPATH}
 * (or {@code --plugin}). Its own settings live under {@code env.options} (free-form), read from the
 * {@link TaskContext}, e.g. {@code context.text("env.options.max_value", "31")}.
 */
public interface EnvironmentProvider {

  /** The {@code env.name} this provider answers to. */
  String name();

  /**
   * Builds the environment for a run.
   *
   * @throws IOException if a file it needs cannot be read
   * @throws IllegalArgumentException naming the config key, if the config is unusable
   */
  Environment create(TaskContext context) throws IOException;
}
