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
 * most 10 MB (bf16, the 3-number model's tokenizer, its own weights) that loads as the tiny model,
 * and draws problems of its size.
 */
class HarderCountdownConfigTest {

  private static final Path THREE_NUMBERS = Path.of("models/countdown-tiny-sft");

  private static void check(String config, int numbers, int steps) throws Exception {
    RunConfig cfg = Runs.config(Path.of(config), List.of());
    Path model = Path.of(cfg.model().init());
    assertThat(model).as("%s: model.init", config).startsWith(Path.of("models"));
    long bytes;
    try (var files = Files.list(model)) {
      bytes = files.mapToLong(f -> f.toFile().length()).sum();
    }
    assertThat(bytes).as("%s: %s is at most 10 MB", config, model).isLessThanOrEqualTo(10L << 20);
    try (ModelFolder folder = ModelFolder.open(model);
        ModelFolder base = ModelFolder.open(THREE_NUMBERS)) {
      assertThat(folder.config().parameterCount()).isLessThan(5_000_000);
      assertThat(folder.config().torchDtype())
          .as("%s: exported as bf16", model)
          .isEqualTo("bfloat16");
      // the same tokenizer as the shipped 3-number model it was continued from, but other weights
      assertThat(folder.config().vocabSize()).isEqualTo(base.config().vocabSize());
      assertThat(Files.readAllBytes(model.resolve("tokenizer.json")))
          .isEqualTo(Files.readAllBytes(THREE_NUMBERS.resolve("tokenizer.json")));
      assertThat(
              Files.mismatch(
                  model.resolve("model.safetensors"), THREE_NUMBERS.resolve("model.safetensors")))
          .as("%s: trained beyond the 3-number model", model)
          .isNotEqualTo(-1L);
    }
    @SuppressWarnings("unchecked")
    Task<CountdownInstance> task = (Task<CountdownInstance>) Tasks.create(cfg);
    try (task) {
      for (Problem<CountdownInstance> p : task.draw(1, 20)) {
        assertThat(p.data().numbers()).hasSize(numbers);
        assertThat(p.data().maxSteps()).isEqualTo(steps);
        assertThat(p.data().solution()).hasSize(steps);
      }
    }
  }

  @Test
  void fourNumbersInThreeSteps() throws Exception {
    check("configs/countdown-tiny-4.yaml", 4, 3);
  }
}
