package io.grpo4j.cli;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code --plugin JAR}: jars with {@link io.grpo4j.task.TaskProvider}s (a task by name, {@code
 * task.name: my-task}). Jars on {@code GRPO4J_CLASSPATH} are on the class path already; these are
 * added to it for this command.
 */
final class PluginOptions {
  @Option(
      names = "--plugin",
      paramLabel = "JAR",
      description =
          "Jar with a TaskProvider (META-INF/services/io.grpo4j.task.TaskProvider); repeatable."
              + " GRPO4J_CLASSPATH works too.")
  List<Path> jars = new ArrayList<>();

  /**
   * Makes the plug-in jars visible to task look-up: a class loader over them becomes this thread's
   * context class loader, which {@link io.grpo4j.run.Tasks} searches.
   */
  void install() throws IOException {
    if (jars.isEmpty()) return;
    List<URL> urls = new ArrayList<>();
    for (Path jar : jars) {
      if (!Files.isRegularFile(jar)) {
        throw new IOException("--plugin " + jar + ": no such file");
      }
      try {
        urls.add(jar.toUri().toURL());
      } catch (MalformedURLException e) {
        throw new IOException("--plugin " + jar + ": " + e.getMessage(), e);
      }
    }
    Thread.currentThread()
        .setContextClassLoader(
            new URLClassLoader(urls.toArray(URL[]::new), PluginOptions.class.getClassLoader()));
  }
}
