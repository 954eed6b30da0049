package example;

import io.grpo4j.task.Task;
import io.grpo4j.task.TaskContext;
import io.grpo4j.task.TaskProvider;

/**
 * Registers {@code task.name: addition} (see META-INF/services/io.grpo4j.task.TaskProvider). Its
 * own settings live under {@code task.options}: {@code max_value} (default 50).
 */
public final class AdditionProvider implements TaskProvider {
  @Override
  public String name() {
    return "addition";
  }

  @Override
  public Task<?> create(TaskContext context) {
    int max = Integer.parseInt(context.text("task.options.max_value", "50"));
    if (max < 1) throw new IllegalArgumentException("task.options.max_value must be >= 1");
    return new AdditionTask(max);
  }
}
