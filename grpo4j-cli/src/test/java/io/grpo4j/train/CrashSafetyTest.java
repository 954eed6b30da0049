package io.grpo4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpo4j.audit.RunCheck;
import io.grpo4j.config.RunConfig;
import io.grpo4j.dist.DistGroup;
import io.grpo4j.metrics.MetricsLog;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.run.Runs;
import io.grpo4j.run.Tasks;
import io.grpo4j.torch.CheckpointManifest;
import io.grpo4j.torch.DType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resume after damage on the shipped tiny model: a corrupted newest checkpoint is refused and the
 * previous one used; a run killed before its first checkpoint starts again; a loss that stays
 * non-finite stops the run with the last good checkpoint kept.
 */
public class CrashSafetyTest {
  static final Path TINY = Path.of("models/countdown-tiny-sft");
  @TempDir Path tmp;
  final ByteArrayOutputStream log = new ByteArrayOutputStream();
  final PrintStream out = new PrintStream(log, true);

  public static RunConfig config(String... extra) throws Exception {
    List<String> o =
        new ArrayList<>(
            List.of(
                "model.init=" + TINY,
                "data.eval_size=2",
                "sampling.max_new_tokens=6",
                "train.eval_every=0",
                "data.prompts_per_step=1",
                "rl.group_size=2",
                "train.samples_per_step=1",
                "train.save_every=1"));
    o.addAll(List.of(extra));
    return Runs.config(null, o);
  }

  public static List<Long> steps(Path jsonl) throws Exception {
    return MetricsLog.read(jsonl).stream().map(n -> n.get("step").asLong()).toList();
  }

  @Test
  void resumeRefusesADamagedCheckpointFallsBackAndRestartsWhenNoneIsLeft() throws Exception {
    Path run = tmp.resolve("run");
    Runs.grpo(config("train.steps=3"), run, out);
    assertThat(RunCheck.audit(run, true).problems()).isEmpty();
    Path step3 = run.resolve("checkpoints/step-3");
    byte[] weights = Files.readAllBytes(step3.resolve("model.safetensors"));
    weights[weights.length - 5] ^= 1; // one bit of one weight: only the hash can tell
    Files.write(step3.resolve("model.safetensors"), weights);
    assertThat(RunCheck.audit(run, true).problems())
        .anySatisfy(p -> assertThat(p).contains("model.safetensors").contains("SHA-256"));

    log.reset();
    Runs.resume(run, out);
    assertThat(log.toString())
        .contains("checkpoint " + step3 + " refused: " + step3.resolve("model.safetensors"))
        .contains(
            "falling back to the previous good checkpoint " + run.resolve("checkpoints/step-2"))
        .contains("(step 2)");
    assertThat(run.resolve("checkpoints/refused-step-3")).isDirectory();
    assertThat(steps(run.resolve("metrics.jsonl"))).containsExactly(1L, 2L, 3L);
    assertThat(steps(run.resolve("samples.jsonl"))).containsExactly(1L, 2L, 3L);
    CheckpointManifest.verify(step3);

    // Killed before any checkpoint (simulated: none left): --resume starts over from step 1.
    Checkpoints.deleteTree(run.resolve("checkpoints"));
    log.reset();
    Runs.resume(run, out);
    assertThat(log.toString()).contains("starting the grpo run again from step 1");
    assertThat(steps(run.resolve("metrics.jsonl"))).containsExactly(1L, 2L, 3L);
    assertThat(RunCheck.audit(run, true).problems()).isEmpty();
  }

  @Test
  void aCheckpointWithoutItsManifestIsIncompleteAndNotResumedFrom() throws Exception {
    Path run = tmp.resolve("run");
    Runs.grpo(config("train.steps=2"), run, out);
    Files.delete(run.resolve("checkpoints/step-2/" + CheckpointManifest.FILE));
    assertThat(Checkpoints.latest(run)).hasValue(run.resolve("checkpoints/step-1"));
    log.reset();
    Runs.resume(run, out);
    assertThat(log.toString())
        .contains("manifest.json: missing")
        .contains("resuming grpo run " + run + " from " + run.resolve("checkpoints/step-1"));
    assertThat(steps(run.resolve("metrics.jsonl"))).containsExactly(1L, 2L);
  }

  /**
   * π_ref poisoned with NaN: every loss is NaN, the policy never changes, no checkpoint is written.
   */
  @Test
  void nonFiniteLossesAreSkippedCountedAndStopTheRunKeepingTheLastGoodCheckpoint()
      throws Exception {
    RunConfig cfg = config("train.steps=6", "train.max_skipped_steps=2");
    Path run = tmp.resolve("run");
    Files.createDirectories(run);
    try (ModelFolder folder = ModelFolder.open(TINY)) {
      RunSetup<?> setup = RunSetup.of(cfg, run, Tasks.create(cfg), folder);
      Qwen2Model policy = folder.loadModel(DType.F32, new Device("cpu"));
      Qwen2Model reference = folder.loadModel(DType.F32, new Device("cpu"));
      GrpoTrainer<?> trainer = new GrpoTrainer<>(setup, policy, reference, out, DistGroup.single());
      trainer.save(4); // the last good state of a run that got to step 4
      double before = policy.parameters().get("model.norm.weight").sum().item_double();
      try (NoGradGuard ng = new NoGradGuard()) {
        reference.parameters().get("model.norm.weight").fill_(new Scalar(Double.NaN));
      }
      assertThatThrownBy(() -> trainer.train(5))
          .isInstanceOf(NonFiniteGuard.DivergedException.class)
          .hasMessageContaining("non-finite loss at step 6")
          .hasMessageContaining("2 updates in a row");
      assertThat(policy.parameters().get("model.norm.weight").sum().item_double())
          .isEqualTo(before);
    }
    assertThat(log.toString())
        .contains("non-finite loss at step 5")
        .contains("update skipped (1 in a row; the run stops at 2)");
    var rows = MetricsLog.read(run.resolve("metrics.jsonl"));
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0).get("step").asLong()).isEqualTo(5);
    assertThat(rows.get(0).get("skipped_steps").asInt()).isEqualTo(1);
    assertThat(rows.get(0).get("loss/total").isNull()).isTrue(); // NaN is written as null
    assertThat(Checkpoints.latest(run)).hasValue(run.resolve("checkpoints/step-4"));
    CheckpointManifest.verify(run.resolve("checkpoints/step-4"));
  }

  @Test
  void aModelFolderWithMissingFilesNamesThemAll() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("model"));
    Files.copy(TINY.resolve("config.json"), dir.resolve("config.json"));
    assertThatThrownBy(() -> ModelFolder.open(dir))
        .hasMessageContaining(dir + " is missing tokenizer.json, model.safetensors");
    Files.writeString(dir.resolve("pytorch_model.bin"), "pickle");
    Files.copy(TINY.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
    assertThatThrownBy(() -> ModelFolder.open(dir))
        .hasMessageContaining("is missing model.safetensors")
        .hasMessageContaining("never loads pickle files");
  }
}
