package io.grpo4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpo4j.task.Task;
import io.grpo4j.task.TaskContext;
import io.grpo4j.task.TaskProvider;
import io.grpo4j.task.TaskProviders;
import io.grpo4j.task.countdown.CountdownTask;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --plugin JAR}: a provider listed in the jar's services file becomes a task name. */
class PluginOptionsTest {
  @TempDir Path tmp;

  /** A provider that only the plug-in jar's services file announces. */
  public static final class Fake implements TaskProvider {
    @Override
    public String name() {
      return "fake-plugin";
    }

    @Override
    public Task<?> create(TaskContext context) {
      return CountdownTask.defaults();
    }
  }

  @Test
  void aPluginJarAddsItsTaskName() throws Exception {
    Path jar = tmp.resolve("plugin.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      out.putNextEntry(new JarEntry("META-INF/services/" + TaskProvider.class.getName()));
      OutputStream o = out;
      o.write((Fake.class.getName() + "\n").getBytes(StandardCharsets.UTF_8));
      out.closeEntry();
    }
    TaskContext ctx =
        new TaskContext(
            new ObjectMapper().readTree("{\"task\": {\"name\": \"fake-plugin\"}}"), tmp);
    ClassLoader before = Thread.currentThread().getContextClassLoader();
    try {
      assertThatThrownBy(() -> TaskProviders.create(ctx, before))
          .hasMessageContaining("'fake-plugin' is not a known task");
      PluginOptions plugins = new PluginOptions();
      plugins.jars = List.of(jar);
      plugins.install();
      Task<?> task = TaskProviders.create(ctx, Thread.currentThread().getContextClassLoader());
      assertThat(task.name()).isEqualTo("countdown");
      PluginOptions missing = new PluginOptions();
      missing.jars = List.of(tmp.resolve("nope.jar"));
      assertThatThrownBy(missing::install)
          .hasMessageContaining("--plugin")
          .hasMessageContaining("nope.jar");
    } finally {
      Thread.currentThread().setContextClassLoader(before);
    }
  }
}
