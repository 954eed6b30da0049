package io.grpo4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpo4j.config.RunConfig;
import io.grpo4j.metrics.MetricsLog;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.model.TinyPreset;
import io.grpo4j.rl.AStarPo;
import io.grpo4j.run.Runs;
import io.grpo4j.run.Tasks;
import io.grpo4j.task.Task;
import io.grpo4j.torch.DType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A*-PO end to end on the tiny preset: stage 1's file, its resume, and stage 2's steps. */
class AStarPoRunTest {
  @TempDir Path tmp;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

  /** The shipped SFT model: its samples of 3-number problems succeed and fail. */
  private static final Path SFT = Path.of("models/countdown-tiny-sft");

  private RunConfig config(Path init, String... more) throws Exception {
    List<String> o =
        new ArrayList<>(
            List.of(
                "model.init=" + init,
                "data.eval_size=4",
                "sampling.max_new_tokens=" + (init.equals(SFT) ? 24 : 8),
                "train.save_every=1",
                "train.eval_every=0",
                "data.prompts_per_step=4",
                "rl.algorithm=astar_po",
                "rl.astar.samples=4"));
    o.addAll(List.of(more));
    return Runs.config(null, o);
  }

  private static List<JsonNode> rows(Path file) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) out.add(JSON.readTree(line));
    return out;
  }

  @Test
  void stageOneWritesTheValuesAndStageTwoRegressesOnThem() throws Exception {
    RunConfig cfg = config(SFT, "train.steps=2", "rl.astar.prompts=6", "rl.astar.beta1=0.7");
    Path run = tmp.resolve("run");
    Runs.grpo(cfg, run, QUIET);

    List<JsonNode> values = rows(run.resolve(OptimalValues.VALUES_FILE));
    assertThat(values).hasSize(6);
    long tokens = 0;
    for (JsonNode v : values) {
      double[] r = new double[4];
      for (int i = 0; i < 4; i++) r[i] = v.get("rewards").get(i).asDouble();
      assertThat(v.get("v_star").asDouble()).isCloseTo(AStarPo.optimalValue(r, 0.7), within(1e-12));
      tokens += v.get("completion_tokens").asLong();
    }
    JsonNode cost = JSON.readTree(Files.readString(run.resolve(OptimalValues.STAGE1_FILE)));
    assertThat(cost.get("samples").asLong()).isEqualTo(24);
    assertThat(cost.get("completion_tokens").asLong()).isEqualTo(tokens).isPositive();
    assertThat(cost.get("seconds").asDouble()).isPositive();

    List<JsonNode> metrics = MetricsLog.read(run.resolve("metrics.jsonl"));
    assertThat(metrics).hasSize(2);
    for (JsonNode m : metrics) {
      // one sample per prompt; the loss is the mean squared residual of the (first) epoch
      assertThat(m.get("completion_len/mean").asDouble() * 4)
          .isCloseTo(m.get("tokens/generated").asDouble(), within(1e-9));
      assertThat(m.get("loss/policy").asDouble())
          .isCloseTo(Math.pow(m.get("astar/residual_rms").asDouble(), 2), within(1e-5));
      assertThat(m.get("astar/stage1_tokens").asLong()).isEqualTo(tokens);
      if (m.get("astar/residual_rms").asDouble() > 0) {
        assertThat(m.get("grad_norm").asDouble()).isPositive();
      }
      assertThat(m.has("frac_zero_std_groups")).isFalse();
    }
    assertThat(metrics.get(0).get("astar/residual_rms").asDouble()).isPositive();
    // stage 1's samples count in the run's generated tokens (train.max_generated_tokens)
    assertThat(metrics.get(0).get("tokens/generated_total").asLong())
        .isEqualTo(tokens + metrics.get(0).get("tokens/generated").asLong());
    assertThat(metrics.get(1).get("tokens/generated_total").asLong())
        .isEqualTo(
            tokens
                + metrics.get(0).get("tokens/generated").asLong()
                + metrics.get(1).get("tokens/generated").asLong());
    // step 1 starts at π_θ = π_ref: the log-ratio and the KL are zero (up to rounding)
    assertThat(metrics.get(0).get("astar/log_ratio_mean").asDouble()).isCloseTo(0, within(1e-4));
    assertThat(metrics.get(0).get("kl/forward").asDouble()).isCloseTo(0, within(1e-6));

    // resumed from step 1's checkpoint: the restored token count already holds stage 1's
    Checkpoints.deleteTree(run.resolve("checkpoints/step-2"));
    Runs.resume(run, QUIET);
    List<JsonNode> resumed = MetricsLog.read(run.resolve("metrics.jsonl"));
    assertThat(resumed).hasSize(2);
    assertThat(resumed.get(1).get("tokens/generated_total").asLong())
        .isEqualTo(metrics.get(1).get("tokens/generated_total").asLong());

    // killed after stage 1, before any checkpoint: the resumed run samples nothing more for
    // stage 1 and redoes the same steps
    byte[] before = Files.readAllBytes(run.resolve(OptimalValues.VALUES_FILE));
    String costBefore = Files.readString(run.resolve(OptimalValues.STAGE1_FILE));
    Checkpoints.deleteTree(run.resolve("checkpoints"));
    Files.delete(run.resolve("metrics.jsonl"));
    Runs.resume(run, QUIET);
    assertThat(Files.readAllBytes(run.resolve(OptimalValues.VALUES_FILE))).isEqualTo(before);
    assertThat(Files.readString(run.resolve(OptimalValues.STAGE1_FILE))).isEqualTo(costBefore);
    List<JsonNode> again = MetricsLog.read(run.resolve("metrics.jsonl"));
    assertThat(again).hasSize(2);
    for (int i = 0; i < 2; i++) {
      assertThat(again.get(i).get("reward/mean").asDouble())
          .isEqualTo(metrics.get(i).get("reward/mean").asDouble());
      assertThat(again.get(i).get("completion_len/mean").asDouble())
          .isEqualTo(metrics.get(i).get("completion_len/mean").asDouble());
      assertThat(again.get(i).get("tokens/generated_total").asLong())
          .isEqualTo(metrics.get(i).get("tokens/generated_total").asLong());
    }
  }

  /**
   * A stage 1 stopped after its first batch resumes there: the finished file equals that of an
   * uninterrupted stage 1 (each batch has its own seed), and only the missing batch is sampled.
   */
  @Test
  void anInterruptedStageOneResumesWithTheSameSamples() throws Exception {
    Path init = tmp.resolve("init");
    TinyPreset.write("tiny", init, 2, DType.F32);
    // 4 samples: 64 prompts per batch of 256 rows, so 70 prompts are two batches
    RunConfig cfg = config(init, "rl.astar.prompts=70");
    try (Task<?> task = Tasks.create(cfg);
        ModelFolder folder = ModelFolder.open(init)) {
      Qwen2Model ref = folder.loadModel(DType.F32, new Device("cpu"));
      Path full = tmp.resolve("full");
      OptimalValues<?> whole = stage1(cfg, full, task, folder, ref);
      List<String> lines = Files.readAllLines(full.resolve(OptimalValues.VALUES_FILE));
      assertThat(lines).hasSize(70);

      Path cut = tmp.resolve("cut");
      Files.createDirectories(cut.resolve("astar"));
      Files.write(cut.resolve(OptimalValues.VALUES_FILE), lines.subList(0, 64));
      JsonNode c = JSON.readTree(Files.readString(full.resolve(OptimalValues.STAGE1_FILE)));
      Files.writeString(
          cut.resolve(OptimalValues.STAGE1_FILE),
          "{\"seconds\": 1.0, \"prompt_tokens\": 0, \"completion_tokens\": 5, \"samples\": 256}");
      OptimalValues<?> resumed = stage1(cfg, cut, task, folder, ref);
      assertThat(Files.readAllLines(cut.resolve(OptimalValues.VALUES_FILE))).isEqualTo(lines);
      assertThat(resumed.values()).containsExactly(whole.values());
      JsonNode rc = JSON.readTree(Files.readString(cut.resolve(OptimalValues.STAGE1_FILE)));
      assertThat(rc.get("samples").asLong()).isEqualTo(256 + 6 * 4); // only the second batch
      assertThat(c.get("samples").asLong()).isEqualTo(280);

      // a file made for other prompts is refused, naming the file
      Path other = tmp.resolve("other");
      Files.createDirectories(other.resolve("astar"));
      Files.write(other.resolve(OptimalValues.VALUES_FILE), lines.subList(1, 3));
      assertThatThrownBy(() -> stage1(cfg, other, task, folder, ref))
          .hasMessageContaining("values.jsonl line 1")
          .hasMessageContaining("start a new run");
    }
  }

  private static <D> OptimalValues<D> stage1(
      RunConfig cfg, Path run, Task<D> task, ModelFolder folder, Qwen2Model ref) throws Exception {
    return OptimalValues.ensure(RunSetup.of(cfg, run, task, folder), ref, QUIET);
  }

  @Test
  void stageTwoCyclesThroughThePromptsInShuffledEpochs() {
    int size = 10;
    int b = 4;
    int[] all = new int[30]; // steps 1..7.5: three epochs
    for (int step = 1; step <= 7; step++) {
      System.arraycopy(OptimalValues.batch(3, step, b, size), 0, all, (step - 1) * b, b);
    }
    System.arraycopy(OptimalValues.batch(3, 8, b, size), 0, all, 28, 2);
    for (int e = 0; e < 3; e++) {
      int[] epoch = Arrays.copyOfRange(all, e * size, (e + 1) * size);
      assertThat(Arrays.stream(epoch).sorted().toArray())
          .as("epoch %d", e)
          .containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    }
    assertThat(Arrays.copyOfRange(all, 0, 10)).isNotEqualTo(Arrays.copyOfRange(all, 10, 20));
    assertThat(OptimalValues.batch(3, 2, b, size)).containsExactly(Arrays.copyOfRange(all, 4, 8));
    assertThat(OptimalValues.batch(4, 2, b, size)).isNotEqualTo(Arrays.copyOfRange(all, 4, 8));
  }

  @Test
  void dropUnsolvedKeepsOnlyPromptsWithASuccess() {
    var pool =
        List.of(
            new io.grpo4j.task.Problem<>("a", "x"),
            new io.grpo4j.task.Problem<>("b", "y"),
            new io.grpo4j.task.Problem<>("c", "z"));
    List<double[]> rewards = new ArrayList<>();
    rewards.add(new double[] {1, 0});
    rewards.add(new double[] {-0.2, 0.1});
    rewards.add(null); // a failed reward request
    var cost = new OptimalValues.Cost(1, 2, 3, 6);
    var keep = OptimalValues.of(pool, rewards, List.of(1, 0, 0), AStarPo.DEFAULTS, cost);
    assertThat(keep.problems()).extracting(io.grpo4j.task.Problem::id).containsExactly("a", "b");
    assertThat(keep.solvedShare()).isEqualTo(0.5);
    assertThat(keep.values()[1]).isCloseTo(AStarPo.optimalValue(rewards.get(1), 0.5), within(0.0));
    var drop =
        OptimalValues.of(pool, rewards, List.of(1, 0, 0), new AStarPo(2, 0.5, 1e-3, 3, true), cost);
    assertThat(drop.problems()).extracting(io.grpo4j.task.Problem::id).containsExactly("a");
  }
}
