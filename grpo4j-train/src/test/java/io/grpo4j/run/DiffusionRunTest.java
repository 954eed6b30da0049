package io.grpo4j.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpo4j.config.RunConfig;
import io.grpo4j.metrics.MetricsLog;
import io.grpo4j.model.ModelKind;
import io.grpo4j.model.TinyPreset;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Task;
import io.grpo4j.torch.DType;
import io.grpo4j.train.Checkpoints;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A masked-diffusion run end to end on the tiny preset, a few steps: SFT from a random init, GRPO
 * under both likelihoods and the step advantages, evaluation; and the two kinds of model refused by
 * each other's trainers.
 */
class DiffusionRunTest {
  @TempDir Path tmp;

  private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

  private static List<String> small(Path init, String... more) {
    List<String> s =
        new ArrayList<>(
            List.of(
                "model.architecture=masked_diffusion",
                "model.init=" + init,
                "data.eval_size=4",
                "countdown.generator.max_numbers=3",
                "countdown.generator.max_value=20",
                "countdown.generator.min_steps=2",
                "countdown.generator.max_steps=2",
                "data.prompts_per_step=2",
                "rl.group_size=3",
                "diffusion.steps=4",
                "diffusion.probe_problems=2",
                "train.eval_every=1",
                "train.save_every=1",
                "train.steps=1",
                "sft.steps=2",
                "sft.batch_size=4",
                "sft.eval_every=0",
                "sft.save_every=2",
                "sft.warmup_steps=1"));
    s.addAll(List.of(more));
    return s;
  }

  @Test
  void sftThenGrpoUnderEachEstimatorWritesTheProbeMetricsAndEvaluates() throws Exception {
    Path sftRun = tmp.resolve("sft");
    Path sft =
        Runs.sft(Runs.config(null, small(Path.of("unused"), "model.init=null")), sftRun, QUIET);
    assertThat(ModelKind.of(sft)).isEqualTo(ModelKind.MASKED_DIFFUSION);
    List<JsonNode> sftRows = MetricsLog.read(sftRun.resolve("metrics.jsonl"));
    assertThat(sftRows).hasSize(2);
    assertThat(sftRows.get(1).get("eval/success_rate").asDouble()).isBetween(0.0, 1.0);

    String[][] arms = {
      {"diffusion.likelihood=trajectory", "diffusion.advantage=step_delta"},
      {"diffusion.likelihood=one_step", "diffusion.advantage=state_delta", "train.eval_every=0"}
    };
    for (String[] arm : arms) {
      Path run = tmp.resolve(arm[0].substring(arm[0].indexOf('=') + 1));
      RunConfig cfg = Runs.config(null, small(sft, arm));
      Path last = Runs.grpo(cfg, run, QUIET);
      List<JsonNode> rows = MetricsLog.read(run.resolve("metrics.jsonl"));
      assertThat(rows).hasSize(cfg.train().steps());
      JsonNode first = rows.get(0);
      // the step-1 KL is measured before the update: the policy is still the reference
      assertThat(first.get("kl/forward").asDouble()).as(arm[0]).isCloseTo(0.0, within(1e-6));
      assertThat(first.get("clip_ratio").asDouble()).isZero(); // ρ = 1 in a single pass
      assertThat(first.get("grad/half_cosine").asDouble()).isBetween(-1.0, 1.0);
      assertThat(first.get("likelihood/e1_e2_corr").asDouble()).isBetween(-1.0, 1.0);
      assertThat(first.get("probe/kl_forward").asDouble()).isGreaterThan(0.0);
      assertThat(first.get("frac_zero_std_steps").asDouble()).isBetween(0.0, 1.0);
      // evaluated at the last step, also with train.eval_every=0 (as TrainLoop)
      assertThat(rows.get(rows.size() - 1).has("eval/success_rate")).as(arm[0]).isTrue();
      assertThat(ModelKind.of(last)).isEqualTo(ModelKind.MASKED_DIFFUSION);
    }
    Path trained = Checkpoints.latest(tmp.resolve("trajectory")).orElseThrow();
    List<JsonNode> rows = MetricsLog.read(tmp.resolve("trajectory").resolve("metrics.jsonl"));
    assertThat(rows.get(0).get("eval/sampled_success_rate").asDouble()).isBetween(0.0, 1.0);
    // eval (and sweep) take the diffusion path by the folder's model_type
    RunConfig cfg = Runs.config(null, small(sft));
    try (Task<?> task = Tasks.create(cfg)) {
      Evaluation e = evaluate(cfg, task, trained, sft);
      assertThat(e.scores().prompts()).isEqualTo(4);
      assertThat(e.klForward()).isGreaterThan(0.0);
    }
    // resuming a finished diffusion run keeps its kind and does nothing more
    Runs.resume(tmp.resolve("trajectory"), QUIET);
    assertThat(MetricsLog.read(tmp.resolve("trajectory").resolve("metrics.jsonl"))).hasSize(1);
  }

  private static <D> Evaluation evaluate(RunConfig cfg, Task<D> task, Path model, Path ref)
      throws Exception {
    List<Problem<D>> problems = task.draw(cfg.data().evalSeed(), 4);
    return Evaluation.run(cfg, task, problems, model, ref, 0, null);
  }

  @Test
  void eachKindOfCheckpointIsRefusedByTheOtherKindsTrainers() throws Exception {
    Path mdm = tmp.resolve("mdm");
    Path ar = tmp.resolve("ar");
    TinyPreset.writeDiffusion(mdm, 1, DType.F32);
    TinyPreset.write("tiny", ar, 1, DType.F32);
    List<String> causalOnMdm = new ArrayList<>(small(mdm));
    causalOnMdm.set(0, "model.architecture=causal");
    assertThatThrownBy(() -> Runs.grpo(Runs.config(null, causalOnMdm), tmp.resolve("a"), QUIET))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is a masked-diffusion checkpoint")
        .hasMessageContaining("model.architecture=masked_diffusion");
    assertThatThrownBy(() -> Runs.sft(Runs.config(null, causalOnMdm), tmp.resolve("b"), QUIET))
        .hasMessageContaining("is a masked-diffusion checkpoint");
    assertThatThrownBy(() -> Runs.grpo(Runs.config(null, small(ar)), tmp.resolve("c"), QUIET))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not a masked-diffusion checkpoint")
        .hasMessageContaining("model.architecture=causal");
    assertThatThrownBy(
            () ->
                Runs.config(
                    null,
                    small(
                        mdm,
                        "diffusion.likelihood=trajectory",
                        "diffusion.rollout_order=low_confidence")))
        .hasMessageContaining("needs diffusion.rollout_order=random");
  }
}
