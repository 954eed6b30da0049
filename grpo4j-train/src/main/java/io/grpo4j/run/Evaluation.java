package io.grpo4j.run;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import io.grpo4j.config.RunConfig;
import io.grpo4j.eval.EvalReport;
import io.grpo4j.eval.EvalScores;
import io.grpo4j.eval.Evaluator;
import io.grpo4j.eval.PassAtK;
import io.grpo4j.eval.Prompts;
import io.grpo4j.metrics.CountProgress;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.ModelKind;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.task.Problem;
import io.grpo4j.task.PromptStyle;
import io.grpo4j.task.Task;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Torch;
import io.grpo4j.train.KlDrift;
import io.grpo4j.train.RolloutBatch;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;

/**
 * Held-out evaluation as the {@code eval} command and the quickstart report it (of a
 * masked-diffusion folder: {@link DiffusionEvaluation}, chosen by its config.json): success rate,
 * validator reward per prompt and per token, completion length, KL drift to a reference, and (with
 * k ≥ 2 samples per prompt) the mean token advantage under the run's advantage mode.
 *
 * @param scores success rate, rewards and length (flat in JSON, as before)
 * @param klForward mean per-token KL(π‖π_ref) on the answers, NaN without a reference
 * @param klReverse mean per-token KL(π_ref‖π), NaN without a reference
 * @param advTokenMean mean token advantage over the k samples of each prompt, NaN when greedy
 * @param passAtK with k ≥ 2 samples per prompt: the unbiased pass@j ({@link PassAtK}) for j = 1, 8
 *     (when k ≥ 8) and k; empty when greedy
 * @param turnsMean model turns per episode for a task played against an environment ({@code env:}),
 *     NaN otherwise
 */
public record Evaluation(
    @JsonUnwrapped EvalScores scores,
    double klForward,
    double klReverse,
    double advTokenMean,
    double seconds,
    Map<Integer, Double> passAtK,
    double turnsMean) {

  /** Evaluates {@code modelDir} on {@code problems}; {@code refDir} may be null. */
  public static <D> Evaluation run(
      RunConfig cfg,
      Task<D> task,
      List<Problem<D>> problems,
      Path modelDir,
      Path refDir,
      int k,
      PrintStream out)
      throws IOException {
    return run(cfg, task, problems, modelDir, null, refDir, k, out);
  }

  /**
   * Evaluates {@code modelDir} with the LoRA adapter folder {@code adapterDir} on top (null: none;
   * a LoRA checkpoint given as {@code modelDir} opens with its adapter anyway) on {@code problems};
   * {@code refDir} may be null.
   */
  public static <D> Evaluation run(
      RunConfig cfg,
      Task<D> task,
      List<Problem<D>> problems,
      Path modelDir,
      Path adapterDir,
      Path refDir,
      int k,
      PrintStream out)
      throws IOException {
    if (adapterDir == null && ModelKind.of(modelDir) == ModelKind.MASKED_DIFFUSION) {
      return DiffusionEvaluation.run(cfg, task, problems, modelDir, refDir, k, out).evaluation();
    }
    Torch.init(cfg.model().threads(), cfg.seed());
    Device device = Torch.device(cfg.model().device());
    DType dtype = DType.resolve(cfg.model().dtype(), cfg.model().device());
    long t0 = System.nanoTime();
    try (ModelFolder folder =
            adapterDir == null
                ? ModelFolder.open(modelDir)
                : ModelFolder.open(modelDir).withAdapter(adapterDir);
        PointerScope scope = new PointerScope()) {
      Qwen2Model model = folder.loadModel(dtype, device);
      Prompts<D> prompts = new Prompts<>(task, PromptStyle.parse(cfg.task().promptStyle()), folder);
      Evaluator<D> evaluator = new Evaluator<>(task, prompts, folder);
      CountProgress progress =
          out == null ? null : CountProgress.on(out, "evaluated", "problems", problems.size());
      EvalReport report =
          evaluator.run(model, problems, k, cfg.sampling().maxNewTokens(), cfg.seed(), progress);
      if (progress != null) progress.finish();
      double kf = Double.NaN;
      double kr = Double.NaN;
      if (refDir != null) {
        try (ModelFolder refFolder = ModelFolder.open(refDir)) {
          Qwen2Model ref = refFolder.loadModel(dtype, device);
          double[] drift = KlDrift.measure(model, ref, report.samples(), cfg.rl().microBatch());
          kf = drift[0];
          kr = drift[1];
        }
      }
      double adv = Double.NaN;
      var mode = cfg.rl().advantage().mode();
      // the segment modes need tree rollouts or continuations, which an evaluation does not sample
      boolean segmentMode =
          mode == io.grpo4j.rl.AdvantageMode.TREE || mode == io.grpo4j.rl.AdvantageMode.MC_PREFIX;
      if (k >= 2 && !segmentMode) {
        RolloutBatch b = RolloutBatch.of(report.samples(), device);
        var r = cfg.rl().entropy().tokenRewards(b.prefixReward(), b.entropy(), b.mask());
        adv = cfg.rl().advantage().compute(r, b.mask(), b.completion(), b.entropy(), k).tokenMean();
      }
      Map<Integer, Double> pass = new TreeMap<>();
      if (k >= 2) {
        for (int j : new int[] {1, 8, k}) {
          if (j <= k) pass.put(j, PassAtK.of(report.samples(), k, j));
        }
      }
      double turns =
          task instanceof io.grpo4j.task.env.EnvironmentTask<?>
              ? report.samples().stream().mapToInt(x -> x.sample().turns()).average().orElse(0)
              : Double.NaN;
      return new Evaluation(
          report.scores(), kf, kr, adv, (System.nanoTime() - t0) / 1e9, pass, turns);
    }
  }

  /** A fixed-width table of several evaluations, one row each. */
  public static String table(List<String> names, List<Evaluation> rows) {
    // episodes add a column: model turns per episode
    boolean turns = rows.stream().anyMatch(e -> !Double.isNaN(e.turnsMean()));
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            "%-14s %8s %9s %11s %10s %9s %9s %8s",
            "model",
            "success",
            "reward/p",
            "reward/tok",
            "mean_len",
            "kl_fwd",
            "kl_rev",
            "adv_tok"));
    sb.append(turns ? String.format(" %6s%n", "turns") : String.format("%n"));
    for (int i = 0; i < rows.size(); i++) {
      Evaluation e = rows.get(i);
      EvalScores s = e.scores();
      sb.append(
          String.format(
              "%-14s %7.1f%% %9.3f %11.4f %10.1f %9s %9s %8s",
              names.get(i),
              100 * s.successRate(),
              s.rewardPerPrompt(),
              s.rewardPerToken(),
              s.meanLength(),
              fmt(e.klForward()),
              fmt(e.klReverse()),
              fmt(e.advTokenMean())));
      sb.append(turns ? String.format(" %6.2f%n", e.turnsMean()) : String.format("%n"));
    }
    return sb.toString();
  }

  private static String fmt(double v) {
    return Double.isNaN(v) ? "-" : String.format("%.4f", v);
  }
}
