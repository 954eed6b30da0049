package io.grpo4j.task;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeSet;

/** Finds {@link TaskProvider}s on a class path and builds the task a config names. */
public final class TaskProviders {
  private TaskProviders() {}

  /** Every provider visible to a class loader, in discovery order. */
  public static List<TaskProvider> all(ClassLoader loader) {
    List<TaskProvider> out = new ArrayList<>();
    try {
      ServiceLoader.load(TaskProvider.class, loader).forEach(out::add);
    } catch (ServiceConfigurationError e) {
      throw new IllegalArgumentException(
          "a task plug-in could not be loaded: " + e.getMessage(), e);
    }
    return out;
  }

  /**
   * The provider of a task name.
   *
   * @throws IllegalArgumentException naming {@code task.name} and the known names
   */
  public static TaskProvider find(String name, ClassLoader loader) {
    List<TaskProvider> all = all(loader);
    TreeSet<String> known = new TreeSet<>();
    TaskProvider found = null;
    for (TaskProvider p : all) {
      known.add(p.name());
      if (p.name().equals(name)) {
        if (found != null && found.getClass() != p.getClass()) {
          throw new IllegalArgumentException(
              "task.name '"
                  + name
                  + "' is provided twice: "
                  + found.getClass().getName()
                  + " and "
                  + p.getClass().getName());
        }
        found = p;
      }
    }
    if (found == null) {
      throw new IllegalArgumentException(
          "task.name '"
              + name
              + "' is not a known task (known: "
              + String.join(", ", known)
              + "); a plug-in jar goes on GRPO4J_CLASSPATH or --plugin");
    }
    return found;
  }

  /** Builds the task {@code task.name} names. */
  public static Task<?> create(TaskContext context, ClassLoader loader) throws IOException {
    String name = context.text("task.name", "");
    return find(name, loader).create(context);
  }
}
