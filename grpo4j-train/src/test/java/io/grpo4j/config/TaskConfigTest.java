package io.grpo4j.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpo4j.run.Runs;
import io.grpo4j.task.reward.RewardConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The config shape of issue 15: task fields, data files, reward sources, plug-in options. */
class TaskConfigTest {
  @TempDir Path tmp;

  @Test
  void theIssuesConfigShapeLoads() throws Exception {
    Path yaml = tmp.resolve("my.yaml");
    Files.writeString(
        yaml,
        """
        model: {init: models/my-model}
        task: {name: jsonl, prompt_field: prompt, answer_field: answer, prompt_style: plain}
        data: {train_file: data/train.jsonl, eval_file: data/test.jsonl, prompts_per_step: 16, eval_size: 200}
        reward:
          sources:
            - {type: command, command: "python3 reward.py", weight: 1.0}
            - {type: math, weight: 0.5}
          concurrency: 4
          timeout_s: 30
        """);
    RunConfig cfg = Runs.config(yaml, List.of());
    assertThat(cfg.task().name()).isEqualTo("jsonl");
    assertThat(cfg.data().trainFile()).isEqualTo("data/train.jsonl");
    assertThat(cfg.reward().sources())
        .containsExactly(
            new RewardConfig.Source("command", 1.0, "python3 reward.py", null, null, null),
            new RewardConfig.Source("math", 0.5, null, null, null, null));
    assertThat(cfg.reward().concurrency()).isEqualTo(4);
    assertThat(cfg.reward().retries()).isEqualTo(RewardConfig.DEFAULTS.retries());
    // the resolved config round-trips through the run folder's config.yaml (resume)
    Path saved = tmp.resolve("config.yaml");
    Files.writeString(saved, ConfigLoader.toYaml(cfg));
    assertThat(Runs.config(saved, List.of())).isEqualTo(cfg);
  }

  @Test
  void pluginOptionsAreFreeFormButOtherKeysAreChecked() throws Exception {
    Path yaml = tmp.resolve("p.yaml");
    Files.writeString(
        yaml, "task: {name: addition, options: {max_value: 50, mode: {fast: true}}}\n");
    RunConfig cfg = Runs.config(yaml, List.of("task.options.max_value=20", "task.options.extra=x"));
    assertThat(cfg.task().options())
        .isEqualTo(Map.of("max_value", 20, "mode", Map.of("fast", true), "extra", "x"));
    assertThatThrownBy(() -> Runs.config(null, List.of("task.prompt_feild=q")))
        .hasMessageContaining("unknown key 'task.prompt_feild'");
    assertThatThrownBy(() -> Runs.config(null, List.of("reward.sources=[{type: math, wieght: 2}]")))
        .hasMessageContaining("wieght");
  }
}
