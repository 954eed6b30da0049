package io.grpo4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpo4j.config.RunConfig;
import io.grpo4j.metrics.MetricsLog;
import io.grpo4j.metrics.TfEventsWriterTest;
import io.grpo4j.model.TinyPreset;
import io.grpo4j.run.Runs;
import io.grpo4j.torch.DType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A few SFT and GRPO steps on the tiny preset: every artifact is written and resume loses nothing.
 */
class TrainerIntegrationTest {
  @TempDir Path tmp;

  private static List<Long> steps(Path jsonl) throws Exception {
    return MetricsLog.read(jsonl).stream().map(n -> n.get("step").asLong()).toList();
  }

  /**
   * {@code actual}'s metrics equal {@code expected}'s within 1e-5, relative for values above 1
   * (summation order differs).
   */
  private static void assertSameUpTo1e5(JsonNode expected, JsonNode actual, String... keys) {
    for (String key : keys) {
      double e = expected.get(key).asDouble();
      assertThat(actual.get(key).asDouble())
          .as(key)
          .isCloseTo(e, org.assertj.core.api.Assertions.within(1e-5 * Math.max(1, Math.abs(e))));
    }
  }

  @Test
  void sharingThePromptForwardGivesTheSameStepWithFewerPositions() throws Exception {
    Path init = tmp.resolve("init");
    TinyPreset.write("tiny", init, 1, DType.F32);
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    JsonNode[] rows = new JsonNode[2];
    for (int i = 0; i < 2; i++) {
      boolean share = i == 0;
      // micro_batch 6 with groups of 4: micro-batches hold whole groups and split ones.
      RunConfig cfg =
          Runs.config(
              null,
              List.of(
                  "model.init=" + init,
                  "data.eval_size=4",
                  "sampling.max_new_tokens=12",
                  "countdown.generator.max_numbers=3",
                  "countdown.generator.max_value=9",
                  "train.steps=1",
                  "train.save_every=1",
                  "train.eval_every=0",
                  "data.prompts_per_step=3",
                  "rl.group_size=4",
                  "rl.micro_batch=6",
                  "model.share_prompt=" + share));
      Path run = tmp.resolve("share-" + share);
      Runs.grpo(cfg, run, quiet);
      rows[i] = MetricsLog.read(run.resolve("metrics.jsonl")).get(0);
    }
    JsonNode shared = rows[0];
    JsonNode plain = rows[1];
    assertThat(shared.get("reward/mean").asDouble()).isEqualTo(plain.get("reward/mean").asDouble());
    assertSameUpTo1e5(
        plain, shared, "loss/total", "loss/policy", "kl/forward", "kl/reverse", "grad_norm");
    assertThat(plain.get("grad_norm").asDouble()).isPositive();
    assertThat(shared.get("batch/forward_positions").asLong())
        .isLessThan(shared.get("batch/forward_positions_unshared").asLong());
    assertThat(plain.get("batch/forward_positions").asLong())
        .isEqualTo(plain.get("batch/forward_positions_unshared").asLong());
  }

  /**
   * logprob_mismatch/* is logged every step, and rl.tis_cap wires truncated importance sampling
   * into the update: on a CPU in f32 the sampler and the trainer compute the same log-probs up to
   * rounding (mismatch ~1e-6), so the weights are ~1 and a TIS step equals the plain one; the
   * weights themselves (ratio, cap) are TruncatedImportanceTest's.
   */
  @Test
  void logprobMismatchIsLoggedAndTisAtMatchingNumericsChangesNothing() throws Exception {
    Path init = tmp.resolve("init");
    TinyPreset.write("tiny", init, 3, DType.F32);
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    JsonNode[] rows = new JsonNode[2];
    for (int i = 0; i < 2; i++) {
      List<String> set =
          new java.util.ArrayList<>(
              List.of(
                  "model.init=" + init,
                  "data.eval_size=4",
                  "sampling.max_new_tokens=10",
                  "train.steps=1",
                  "train.save_every=1",
                  "train.eval_every=0",
                  "data.prompts_per_step=2",
                  "rl.group_size=4"));
      if (i == 1) set.add("rl.tis_cap=2.0");
      RunConfig cfg = Runs.config(null, set);
      Path run = tmp.resolve("tis-" + i);
      Runs.grpo(cfg, run, quiet);
      rows[i] = MetricsLog.read(run.resolve("metrics.jsonl")).get(0);
    }
    for (JsonNode r : rows) {
      double mean = r.get("logprob_mismatch/mean").asDouble();
      double max = r.get("logprob_mismatch/max").asDouble();
      assertThat(mean).isBetween(0.0, 1e-4);
      assertThat(max).isGreaterThanOrEqualTo(mean).isLessThan(1e-3);
    }
    assertThat(rows[1].get("reward/mean").asDouble())
        .isEqualTo(rows[0].get("reward/mean").asDouble());
    assertSameUpTo1e5(rows[0], rows[1], "loss/total", "loss/policy", "kl/forward", "grad_norm");
    assertThat(rows[0].get("grad_norm").asDouble()).isPositive();
  }

  /**
   * model.offload_optimizer keeps the master weights and AdamW's state apart from the working copy
   * (on a GPU: in host memory). On the CPU in f32 the arithmetic is the same, so two steps (the
   * second runs on weights refreshed from the master) must give the same metrics.
   */
  @Test
  void offloadedOptimizerGivesTheSameSteps() throws Exception {
    Path init = tmp.resolve("init");
    TinyPreset.write("tiny", init, 2, DType.F32);
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    List<JsonNode> last = new java.util.ArrayList<>();
    for (boolean offload : new boolean[] {false, true}) {
      RunConfig cfg =
          Runs.config(
              null,
              List.of(
                  "model.init=" + init,
                  "data.eval_size=4",
                  "sampling.max_new_tokens=10",
                  "train.steps=2",
                  "train.save_every=2",
                  "train.eval_every=0",
                  "data.prompts_per_step=2",
                  "rl.group_size=4",
                  "model.offload_optimizer=" + offload));
      assertThat(cfg.model().offloadOptimizer()).isEqualTo(offload);
      Path run = tmp.resolve("offload-" + offload);
      Runs.grpo(cfg, run, quiet);
      last.add(MetricsLog.read(run.resolve("metrics.jsonl")).get(1));
    }
    assertThat(last.get(1).get("reward/mean").asDouble())
        .isEqualTo(last.get(0).get("reward/mean").asDouble());
    assertSameUpTo1e5(
        last.get(0), last.get(1), "loss/total", "loss/policy", "kl/forward", "grad_norm");
    assertThat(last.get(0).get("grad_norm").asDouble()).isPositive();
  }

  /**
   * Dr.GRPO's constant aggregation divides by the fixed sampling.max_new_tokens C, not by the
   * longest completion of the batch: on the same rollouts (same seed and weights), L_constant = Σ
   * m·L / (B·C) and L_token = Σ m·L / Σ m, so L_constant · C = L_token · (mean completion length).
   * Completions that stop well before C make the two normalisers differ.
   */
  @Test
  void constantAggregationDividesByMaxNewTokens() throws Exception {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    int c = 64;
    int rows = 8;
    JsonNode[] metrics = new JsonNode[2];
    List<JsonNode> samples = null;
    String[] modes = {"token", "constant"};
    for (int i = 0; i < 2; i++) {
      RunConfig cfg =
          Runs.config(
              Path.of("configs/countdown-tiny.yaml"),
              List.of(
                  "data.eval_size=4",
                  "data.prompts_per_step=2",
                  "rl.group_size=4",
                  "sampling.max_new_tokens=" + c,
                  "rl.kl.forward=0",
                  "rl.kl.reverse=0",
                  "rl.kl.target=0",
                  "train.steps=1",
                  "train.eval_every=0",
                  "train.samples_per_step=" + rows,
                  "rl.aggregation=" + modes[i]));
      Path run = tmp.resolve("agg-" + modes[i]);
      Runs.grpo(cfg, run, quiet);
      metrics[i] = MetricsLog.read(run.resolve("metrics.jsonl")).get(0);
      samples = MetricsLog.read(run.resolve("samples.jsonl"));
    }
    assertThat(samples).hasSize(rows);
    int longest = 0;
    double meanLength = 0;
    for (JsonNode sample : samples) {
      int len = sample.get("token_ids").size();
      longest = Math.max(longest, len);
      meanLength += len / (double) rows;
    }
    assertThat(longest).as("the longest completion stops before C").isLessThan(c);
    double token = metrics[0].get("loss/policy").asDouble();
    double constant = metrics[1].get("loss/policy").asDouble();
    assertThat(token).as("a loss the check can see").isNotZero();
    assertThat(constant * c)
        .isCloseTo(
            token * meanLength,
            org.assertj.core.api.Assertions.within(1e-5 * Math.abs(token * meanLength)));
  }

  @Test
  void sftMicroBatchesGiveTheWholeBatchUpdate() throws Exception {
    Path init = tmp.resolve("init-sft");
    TinyPreset.write("tiny", init, 1, DType.F32);
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    JsonNode[] rows = new JsonNode[2];
    int[] micro = {0, 3}; // the whole batch of 8 at once, then 3 + 3 + 2 rows
    for (int i = 0; i < 2; i++) {
      RunConfig cfg =
          Runs.config(
              null,
              List.of(
                  "model.init=" + init,
                  "data.eval_size=2",
                  "sampling.max_new_tokens=8",
                  "countdown.generator.max_numbers=3",
                  "countdown.generator.max_value=9",
                  "sft.steps=2",
                  "sft.batch_size=8",
                  "sft.save_every=2",
                  "sft.eval_every=0",
                  "sft.micro_batch=" + micro[i]));
      Path run = tmp.resolve("sft-micro-" + micro[i]);
      Runs.sft(cfg, run, quiet);
      rows[i] =
          MetricsLog.read(run.resolve("metrics.jsonl"))
              .get(1); // step 2: after one update from the accumulated gradient
    }
    assertSameUpTo1e5(rows[0], rows[1], "loss/sft", "grad_norm");
    assertThat(rows[0].get("grad_norm").asDouble()).isPositive();
  }

  @Test
  void sftThenGrpoWriteEverythingAndResumeContinuesTheNumbering() throws Exception {
    Path init = tmp.resolve("init");
    TinyPreset.write("tiny", init, 1, DType.F32);
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    List<String> common =
        List.of(
            "model.init=" + init,
            "data.eval_size=4",
            "sampling.max_new_tokens=12",
            "countdown.generator.max_numbers=3",
            "countdown.generator.max_value=9");

    RunConfig sftCfg =
        Runs.config(
            null,
            concat(
                common, "sft.steps=4", "sft.batch_size=8", "sft.save_every=2", "sft.eval_every=0"));
    Path sftRun = tmp.resolve("sft");
    Path sftLast = Runs.sft(sftCfg, sftRun, quiet);
    assertThat(sftLast.getFileName().toString()).isEqualTo("step-4");
    assertThat(steps(sftRun.resolve("metrics.jsonl"))).containsExactly(1L, 2L, 3L, 4L);
    assertThat(MetricsLog.read(sftRun.resolve("metrics.jsonl")).get(3).has("eval/success_rate"))
        .isTrue();
    for (String f :
        List.of(
            "config.json",
            "model.safetensors",
            "tokenizer.json",
            "tokenizer_config.json",
            "generation_config.json",
            "optimizer.pt",
            Checkpoints.STATE_FILE)) {
      assertThat(sftLast.resolve(f)).as(f).exists();
    }
    assertThat(Files.readString(sftRun.resolve(Runs.CONFIG_FILE))).contains("steps: 4");

    RunConfig grpoCfg =
        Runs.config(
            null,
            concat(
                common,
                "model.init=" + sftLast,
                "train.steps=4",
                "train.save_every=2",
                "train.eval_every=0",
                "data.prompts_per_step=2",
                "rl.group_size=4",
                "train.samples_per_step=2",
                "rl.kl.target=0.001",
                "rl.kl.horizon=2"));
    Path run = tmp.resolve("grpo");
    Runs.grpo(grpoCfg, run, quiet);
    List<JsonNode> first = MetricsLog.read(run.resolve("metrics.jsonl"));
    assertThat(steps(run.resolve("metrics.jsonl"))).containsExactly(1L, 2L, 3L, 4L);
    for (String key :
        List.of(
            "step",
            "reward/mean",
            "reward/std",
            "success_rate",
            "kl/forward",
            "kl/reverse",
            "entropy",
            "adv/token_mean",
            "adv/token_abs_mean",
            "loss/policy",
            "loss/total",
            "clip_ratio",
            "logprob_mismatch/mean",
            "logprob_mismatch/max",
            "grad_norm",
            "lr",
            "completion_len/mean",
            "frac_zero_std_groups",
            "time/rollout_s",
            "time/train_s",
            "tokens_per_s")) {
      assertThat(first.get(0).has(key)).as(key).isTrue();
    }
    // Step 1 runs at the configured λ_F; the adaptive controller moves it after every step.
    assertThat(first.get(0).get("kl/lambda_forward").asDouble()).isEqualTo(0.02);
    assertThat(first.get(2).get("kl/lambda_forward").asDouble())
        .isNotEqualTo(first.get(1).get("kl/lambda_forward").asDouble());
    List<JsonNode> samples = MetricsLog.read(run.resolve("samples.jsonl"));
    assertThat(samples).hasSize(8);
    for (JsonNode s : samples) {
      int n = s.get("token_ids").size();
      assertThat(s.get("token_rewards").size()).isEqualTo(n);
      assertThat(s.get("token_advantages").size()).isEqualTo(n);
      assertThat(s.get("tokens").size()).isEqualTo(n);
      assertThat(s.get("entropies").size()).isEqualTo(n);
      assertThat(s.get("group").asInt()).isZero(); // the first rows: the start of group 0
    }
    // the TensorBoard file beside metrics.jsonl holds each step's metrics and samples text
    Path events;
    try (var files = Files.list(run)) {
      events =
          files
              .filter(f -> f.getFileName().toString().startsWith("events.out.tfevents."))
              .findFirst()
              .orElseThrow();
    }
    var tb = TfEventsWriterTest.read(events);
    assertThat(tb).hasSize(1 + 2 * 4); // version, then per step scalars and a text summary
    for (int k = 0; k < 4; k++) {
      assertThat(TfEventsWriterTest.get(tb.get(1 + 2 * k), "step")).isEqualTo(k + 1L);
      var reward =
          TfEventsWriterTest.values(tb.get(1 + 2 * k)).stream()
              .filter(v -> TfEventsWriterTest.get(v, "tag").equals("reward/mean"))
              .findFirst()
              .orElseThrow();
      assertThat(TfEventsWriterTest.get(reward, "simple_value"))
          .isEqualTo((float) first.get(k).get("reward/mean").asDouble());
    }
    assertThat(Checkpoints.latest(run))
        .hasValueSatisfying(p -> assertThat(p.getFileName().toString()).isEqualTo("step-4"));

    // Simulate a kill after step 4's metrics but before its checkpoint, with a torn line.
    Checkpoints.deleteTree(run.resolve("checkpoints/step-4"));
    Files.writeString(
        run.resolve("metrics.jsonl"), "{\"step\": 5, \"reward/me", StandardOpenOption.APPEND);
    Runs.resume(run, quiet);
    List<JsonNode> resumed = MetricsLog.read(run.resolve("metrics.jsonl"));
    assertThat(steps(run.resolve("metrics.jsonl"))).containsExactly(1L, 2L, 3L, 4L);
    // Steps 3 and 4 are redone from the step-2 checkpoint with the same seeds: the same rollouts.
    for (int i = 2; i < 4; i++) {
      assertThat(resumed.get(i).get("reward/mean").asDouble())
          .isEqualTo(first.get(i).get("reward/mean").asDouble());
      assertThat(resumed.get(i).get("completion_len/mean").asDouble())
          .isEqualTo(first.get(i).get("completion_len/mean").asDouble());
      // the controller's factor was restored from trainer_state.json, not restarted at 1
      assertThat(resumed.get(i).get("kl/lambda_forward").asDouble())
          .isEqualTo(first.get(i).get("kl/lambda_forward").asDouble());
    }
    assertThat(steps(run.resolve("samples.jsonl"))).containsExactly(1L, 1L, 2L, 2L, 3L, 3L, 4L, 4L);
  }

  /**
   * LoRA GRPO on the tiny preset: step 1 samples from and trains a model equal to the base (B = 0,
   * so the exact KL to π_ref, the base with the adapters off, is 0), checkpoints hold the adapters
   * in PEFT's layout, on-the-fly rollouts give the steps merged rollouts give, and a run killed
   * after step 2's checkpoint resumes to the very steps and adapters of the uninterrupted run.
   */
  @Test
  void loraGrpoTrainsAdaptersOnlyAndAKilledRunResumesExactly() throws Exception {
    Path init = tmp.resolve("init");
    TinyPreset.write("tiny", init, 4, DType.F32);
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    List<String> common =
        List.of(
            "model.init=" + init,
            "data.eval_size=4",
            "sampling.max_new_tokens=10",
            "train.steps=4",
            "train.save_every=2",
            "train.eval_every=0",
            "train.lr=0.01",
            "data.prompts_per_step=2",
            "rl.group_size=4",
            "model.lora.r=4",
            "model.lora.alpha=8",
            "model.lora.dropout=0.1");
    Path run = tmp.resolve("lora");
    Runs.grpo(Runs.config(null, common), run, quiet);
    List<JsonNode> first = MetricsLog.read(run.resolve("metrics.jsonl"));
    assertThat(first.get(0).get("kl/forward").asDouble()).isEqualTo(0.0);
    assertThat(first.get(0).get("kl/reverse").asDouble()).isEqualTo(0.0);
    assertThat(first.get(3).get("kl/forward").asDouble()).as("the adapters moved").isPositive();
    Path step4 = run.resolve("checkpoints/step-4");
    for (String f : List.of("adapter_config.json", "adapter_model.safetensors", "optimizer.pt"))
      assertThat(step4.resolve(f)).as(f).exists();
    assertThat(step4.resolve("model.safetensors")).doesNotExist();
    JsonNode adapterConfig =
        Checkpoints.JSON.readTree(step4.resolve("adapter_config.json").toFile());
    assertThat(adapterConfig.path("base_model_name_or_path").asText())
        .isEqualTo(init.toAbsolutePath().normalize().toString());
    byte[] uninterrupted = Files.readAllBytes(step4.resolve("adapter_model.safetensors"));

    // on-the-fly rollouts: the same function as the merged copy, so the same first two steps
    Path fly = tmp.resolve("lora-on-the-fly");
    Runs.grpo(
        Runs.config(null, concat(common, "train.steps=2", "model.lora.rollout=on_the_fly")),
        fly,
        quiet);
    List<JsonNode> onTheFly = MetricsLog.read(fly.resolve("metrics.jsonl"));
    for (int i = 0; i < 2; i++) {
      assertThat(onTheFly.get(i).get("reward/mean").asDouble())
          .isEqualTo(first.get(i).get("reward/mean").asDouble());
      assertSameUpTo1e5(first.get(i), onTheFly.get(i), "loss/total", "kl/forward", "grad_norm");
    }

    // killed after step 4's metrics, before its checkpoint, with a torn line
    Checkpoints.deleteTree(step4);
    Files.writeString(
        run.resolve("metrics.jsonl"), "{\"step\": 5, \"reward/me", StandardOpenOption.APPEND);
    Runs.resume(run, quiet);
    List<JsonNode> resumed = MetricsLog.read(run.resolve("metrics.jsonl"));
    assertThat(steps(run.resolve("metrics.jsonl"))).containsExactly(1L, 2L, 3L, 4L);
    for (int i = 2; i < 4; i++) {
      for (String key : List.of("reward/mean", "loss/total", "kl/forward", "grad_norm"))
        assertThat(resumed.get(i).get(key).asDouble())
            .as("step %d %s", i + 1, key)
            .isEqualTo(first.get(i).get(key).asDouble());
    }
    assertThat(Files.readAllBytes(step4.resolve("adapter_model.safetensors")))
        .as("the resumed run ends with the uninterrupted run's adapters, bit for bit")
        .isEqualTo(uninterrupted);

    // SFT trains adapters too, and its checkpoint is an adapter folder
    Path sft = tmp.resolve("lora-sft");
    Path last =
        Runs.sft(
            Runs.config(
                null,
                concat(
                    common,
                    "sft.steps=2",
                    "sft.batch_size=4",
                    "sft.save_every=2",
                    "sft.eval_every=0")),
            sft,
            quiet);
    assertThat(last.resolve("adapter_model.safetensors")).exists();
    assertThat(MetricsLog.read(sft.resolve("metrics.jsonl")).get(1).get("grad_norm").asDouble())
        .isPositive();
  }

  private static List<String> concat(List<String> a, String... b) {
    java.util.ArrayList<String> out = new java.util.ArrayList<>(a);
    out.addAll(List.of(b));
    return out;
  }
}
