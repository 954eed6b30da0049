package io.grpo4j.task.env;

import io.grpo4j.task.TaskContext;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeSet;

/** Opens the environment an {@code env:} section names: a program or a Java plug-in. */
public final class Environments {
  private Environments() {}

  /**
   * The client of {@code env.command} (started in the context's working directory) or of the {@link
   * EnvironmentProvider} named {@code env.name} on the class path of {@code loader}.
   *
   * @throws IllegalArgumentException when the config names no environment, or an unknown one
   */
  public static EnvironmentClient open(EnvConfig env, TaskContext context, ClassLoader loader)
      throws IOException {
    Duration timeout = Duration.ofMillis(Math.round(env.timeoutS() * 1000));
    if (env.command() != null) {
      return new CommandEnvironment(env.command(), env.concurrency(), timeout, context.workDir());
    }
    if (env.name() == null) {
      throw new IllegalArgumentException("no environment: set env.command or env.name");
    }
    return new JavaEnvironment(
        find(env.name(), loader).create(context), env.concurrency(), timeout);
  }

  /**
   * The provider of an environment name.
   *
   * @throws IllegalArgumentException naming {@code env.name} and the known names
   */
  public static EnvironmentProvider find(String name, ClassLoader loader) {
    List<EnvironmentProvider> all = new ArrayList<>();
    try {
      ServiceLoader.load(EnvironmentProvider.class, loader).forEach(all::add);
    } catch (ServiceConfigurationError e) {
      throw new IllegalArgumentException(
          "an environment plug-in could not be loaded: " + e.getMessage(), e);
    }
    TreeSet<String> known = new TreeSet<>();
    for (EnvironmentProvider p : all) {
      known.add(p.name());
      if (p.name().equals(name)) return p;
    }
    throw new IllegalArgumentException(
        "env.name '"
            + name
            + "' is not a known environment (known: "
            + (known.isEmpty() ? "none" : String.join(", ", known))
            + "); a plug-in jar goes on GRPO4J_CLASSPATH or --plugin");
  }
}
