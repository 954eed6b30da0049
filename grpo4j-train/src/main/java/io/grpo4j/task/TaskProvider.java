package io.grpo4j.task;

import java.io.IOException;

/**
 * Supplies a {@link Task} by name: the plug-in point for tasks written in Java without forking
 * grpo4j. Implementations are found with {@link java.util.ServiceLoader}: list the class in {@code
 * META-INF/services/io.grpo4j.task.TaskProvider} of a jar and put the jar on {@code
 * GRPO4J_CLASSPATH} (or pass {@code --plugin my.jar}); {@code task.name: <name>} in a run config
 * then selects it. Countdown and the JSONL task are providers too.
 *
 * <p>An implementation needs a public no-argument constructor. {@link #create} receives the run's
 * whole resolved config; a plug-in's own settings live under {@code task.options} (free-form), so a
 * resumed run gets the same task back from the saved {@code config.yaml}.
 */
public interface TaskProvider {

  /** The {@code task.name} this provider answers to, e.g. {@code my-task}. */
  String name();

  /**
   * Builds the task for a run.
   *
   * @throws IOException if a file the task needs cannot be read
   * @throws IllegalArgumentException naming the config key, if the config is unusable
   */
  Task<?> create(TaskContext context) throws IOException;
}
