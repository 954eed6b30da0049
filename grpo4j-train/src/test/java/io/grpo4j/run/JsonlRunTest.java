package io.grpo4j.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpo4j.config.RunConfig;
import io.grpo4j.metrics.MetricsLog;
import io.grpo4j.model.TinyPreset;
import io.grpo4j.task.jsonl.JsonlTask;
import io.grpo4j.torch.DType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's own task end to end: a JSONL dataset and a reward program (the test's fake_reward.py:
 * reward = number of characters of the completion) through SFT and GRPO.
 */
class JsonlRunTest {
  @TempDir Path tmp;

  static String program(String mode) throws URISyntaxException {
    Path p = Path.of(JsonlRunTest.class.getResource("/reward/fake_reward.py").toURI());
    return "python3 '" + p + "' " + mode;
  }

  private List<String> common(String mode) throws Exception {
    Path init = tmp.resolve("init");
    if (!Files.exists(init)) TinyPreset.write("tiny", init, 1, DType.F32);
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      rows.append(
          String.format(
              "{\"q\": \"%d plus %d\", \"a\": %d, \"ref\": \"%d\", \"level\": %d}%n",
              i, i, 2 * i, 2 * i, i % 2));
    }
    Path data = tmp.resolve("rows.jsonl");
    Files.writeString(data, rows.toString());
    return List.of(
        "model.init=" + init,
        "task.name=jsonl",
        "task.prompt_field=q",
        "task.answer_field=a",
        "task.completion_field=ref",
        "task.prompt_template='{prompt} ='",
        "data.train_file=" + data,
        "data.eval_file=" + data,
        "data.eval_size=2",
        "data.prompts_per_step=2",
        "sampling.max_new_tokens=6",
        "rl.group_size=4",
        "reward.sources=[{type: command, command: \"" + program(mode) + "\"}]",
        "reward.concurrency=2");
  }

  private static List<String> with(List<String> a, String... b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(List.of(b));
    return out;
  }

  @Test
  void sftAndGrpoTrainOnTheFileWithTheProgramsRewards() throws Exception {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    List<String> common = common("len");
    Path sft = tmp.resolve("sft");
    Path sftLast =
        Runs.sft(
            Runs.config(
                null,
                with(
                    common,
                    "sft.steps=2",
                    "sft.batch_size=4",
                    "sft.eval_every=0",
                    "sft.save_every=2")),
            sft,
            quiet);
    List<JsonNode> sftRows = MetricsLog.read(sft.resolve("metrics.jsonl"));
    assertThat(sftRows).hasSize(2);
    // eval_every 0: the held-out evaluation runs only at the end, in both trainers
    assertThat(sftRows.get(0).has("eval/success_rate")).isFalse();
    assertThat(sftRows.get(1).has("eval/success_rate")).isTrue();

    Path run = tmp.resolve("grpo");
    RunConfig cfg =
        Runs.config(
            null,
            with(
                common,
                "model.init=" + sftLast,
                "train.steps=2",
                "train.save_every=2",
                "train.eval_every=0",
                "train.samples_per_step=8"));
    Runs.grpo(cfg, run, quiet);
    List<JsonNode> metrics = MetricsLog.read(run.resolve("metrics.jsonl"));
    List<JsonNode> samples = MetricsLog.read(run.resolve("samples.jsonl"));
    assertThat(samples).hasSize(16);
    List<String> rows = Files.readAllLines(tmp.resolve("rows.jsonl"));
    for (JsonNode s : samples) {
      String completion = s.get("completion").asText();
      // the program's reward: the completion's length in code points
      assertThat(s.get("reward").asDouble())
          .isEqualTo(completion.codePointCount(0, completion.length()));
      double sum = 0;
      for (JsonNode r : s.get("token_rewards")) sum += r.asDouble();
      assertThat(sum)
          .isCloseTo(s.get("reward").asDouble(), org.assertj.core.data.Offset.offset(1e-4));
      // the prompt comes from the file, through the template
      assertThat(s.get("prompt").asText()).matches("\\d plus \\d =");
      assertThat(s.get("reason").asText()).contains("meta={\"level\": ");
    }
    for (JsonNode m : metrics) {
      long step = m.get("step").asLong();
      double mean =
          samples.stream()
              .filter(s -> s.get("step").asLong() == step)
              .mapToDouble(s -> s.get("reward").asDouble())
              .average()
              .orElseThrow();
      assertThat(m.get("reward/mean").asDouble())
          .isCloseTo(mean, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(m.get("reward/failures").asInt()).isZero();
    }
    assertThat(metrics.get(0).has("eval/success_rate")).isFalse();
    assertThat(metrics.get(1).has("eval/success_rate")).isTrue();
    assertThat(rows).hasSize(6);
  }

  @Test
  void aBrokenProgramStopsTheRunWithItsStderr() throws Exception {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    RunConfig cfg =
        Runs.config(
            null,
            with(
                common("dead"),
                "train.steps=5",
                "train.eval_every=0",
                "reward.max_failed_batches=2"));
    assertThatThrownBy(() -> Runs.grpo(cfg, tmp.resolve("dead"), quiet))
        .hasMessageContaining("reward.max_failed_batches")
        .hasMessageContaining("cannot load model");
    List<JsonNode> metrics = MetricsLog.read(tmp.resolve("dead/metrics.jsonl"));
    assertThat(metrics).hasSize(1); // step 1 made no update and counted its failures
    assertThat(metrics.get(0).get("reward/failures").asInt()).isEqualTo(8);
    assertThat(metrics.get(0).get("reward/dropped_groups").asInt()).isEqualTo(2);
  }

  /**
   * DAPO's dynamic sampling draws oversample·P prompts; when every reward request of the step
   * fails, the step is the same graceful "no update" as without it (the share of zero-std groups is
   * not taken over an empty batch).
   */
  @Test
  void withOversamplingAStepWhoseRequestsAllFailMakesNoUpdate() throws Exception {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    RunConfig cfg =
        Runs.config(
            null,
            with(
                common("dead"),
                "data.oversample=2",
                "train.steps=5",
                "train.eval_every=0",
                "reward.max_failed_batches=2"));
    assertThatThrownBy(() -> Runs.grpo(cfg, tmp.resolve("dead"), quiet))
        .hasMessageContaining("reward.max_failed_batches");
    List<JsonNode> metrics = MetricsLog.read(tmp.resolve("dead/metrics.jsonl"));
    assertThat(metrics).hasSize(1);
    assertThat(metrics.get(0).get("skipped_steps").asInt()).isEqualTo(1);
    assertThat(metrics.get(0).get("reward/failures").asInt()).isEqualTo(16); // 4 prompts × G = 4
    assertThat(metrics.get(0).get("reward/dropped_groups").asInt()).isEqualTo(4);
  }

  @Test
  void epochsComeFromTheFileInTheSeededOrder() throws Exception {
    RunConfig cfg = Runs.config(null, common("len"));
    JsonlTask task = (JsonlTask) Tasks.create(cfg);
    try {
      List<String> prompts = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        task.trainBatch(7, i, 2).forEach(p -> prompts.add(p.data().prompt()));
      }
      assertThat(prompts).doesNotHaveDuplicates().hasSize(6); // one epoch of six rows
    } finally {
      task.close();
    }
  }
}
