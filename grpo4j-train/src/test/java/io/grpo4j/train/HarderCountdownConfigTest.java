package io.grpo4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpo4j.config.RunConfig;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.run.Runs;
import io.grpo4j.run.Tasks;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Task;
import io.grpo4j.task.countdown.CountdownInstance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shipped harder-Countdown configs (issue #23): each names a shipped SFT model folder of at
 * most 10 MB that loads as the tiny model, and draws problems of its size.
 */
class HarderCountdownConfigTest {

  private static void check(String config, int numbers, int steps) throws Exception {
    RunConfig cfg = Runs.config(Path.of(config), List.of());
    Path model = Path.of(cfg.model().init());
    assertThat(model).as("%s: model.init", config).startsWith(Path.of("models"));
    long bytes;
    try (var files = Files.list(model)) {
      bytes = files.mapToLong(f -> f.toFile().length()).sum();
    }
    assertThat(bytes).as("%s: %s is at most 10 MB", config, model).isLessThanOrEqualTo(10L << 20);
    try (ModelFolder folder = ModelFolder.open(model)) {
      assertThat(folder.config().parameterCount()).isLessThan(5_000_000);
    }
    @SuppressWarnings("unchecked")
    Task<CountdownInstance> task = (Task<CountdownInstance>) Tasks.create(cfg);
    try {
      for (Problem<CountdownInstance> p : task.draw(1, 20)) {
        assertThat(p.data().numbers()).hasSize(numbers);
        assertThat(p.data().maxSteps()).isEqualTo(steps);
        assertThat(p.data().solution()).hasSize(steps);
      }
    } finally {
      Tasks.close(task);
    }
  }

  @Test
  void fourNumbersInThreeSteps() throws Exception {
    check("configs/countdown-tiny-4.yaml", 4, 3);
  }
}
