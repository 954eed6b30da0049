package io.grpo4j.run;

import io.grpo4j.config.RunConfig;
import io.grpo4j.eval.DiffusionEvaluator;
import io.grpo4j.eval.EvalReport;
import io.grpo4j.eval.PassAtK;
import io.grpo4j.eval.Prompts;
import io.grpo4j.metrics.CountProgress;
import io.grpo4j.model.MaskedDiffusionModel;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.task.Problem;
import io.grpo4j.task.PromptStyle;
import io.grpo4j.task.Task;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Torch;
import io.grpo4j.train.DiffusionDrift;
import io.grpo4j.train.RunSetup;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;

/**
 * {@link Evaluation} of a masked-diffusion model folder ({@code eval} and {@code sweep} call it
 * when the folder's model_type says so): greedy-equivalent or k random-order samples ({@link
 * DiffusionEvaluator}), with {@code diffusion.gen_length} and {@code diffusion.steps}. The drift to
 * a reference is measured twice:
 *
 * <ul>
 *   <li>{@code klForward}/{@code klReverse}: the exact per-position KL at the states the model's
 *       own answers were decided in (each answer position, up to its stop token, at its commit
 *       state) — the counterpart of the autoregressive KL along its greedy answers;
 *   <li>{@code probeKlForward}/{@code probeKlReverse}: the exact KL on the fixed probe set of
 *       partially masked reference answers ({@link DiffusionProbe}), the same states for every
 *       model compared.
 * </ul>
 */
public record DiffusionEvaluation(
    Evaluation evaluation, double probeKlForward, double probeKlReverse) {

  /** Evaluates {@code modelDir} on {@code problems}; {@code refDir} may be null. */
  public static <D> DiffusionEvaluation run(
      RunConfig cfg,
      Task<D> task,
      List<Problem<D>> problems,
      Path modelDir,
      Path refDir,
      int k,
      PrintStream out)
      throws IOException {
    Torch.init(cfg.model().threads(), cfg.seed());
    Device device = Torch.device(cfg.model().device());
    RunConfig.Diffusion d = cfg.diffusion();
    long t0 = System.nanoTime();
    try (ModelFolder folder = ModelFolder.openDiffusion(modelDir);
        PointerScope scope = new PointerScope()) {
      MaskedDiffusionModel model = folder.loadDiffusionModel(DType.F32, device);
      Prompts<D> prompts = new Prompts<>(task, PromptStyle.parse(cfg.task().promptStyle()), folder);
      CountProgress progress =
          out == null ? null : CountProgress.on(out, "evaluated", "problems", problems.size());
      DiffusionEvaluator.Result result =
          new DiffusionEvaluator<>(task, prompts, folder)
              .run(model, problems, k, d.genLength(), d.steps(), cfg.seed(), progress);
      if (progress != null) progress.finish();
      EvalReport report = result.report();
      double kf = Double.NaN;
      double kr = Double.NaN;
      double pf = Double.NaN;
      double pr = Double.NaN;
      if (refDir != null) {
        try (ModelFolder refFolder = ModelFolder.openDiffusion(refDir)) {
          MaskedDiffusionModel ref = refFolder.loadDiffusionModel(DType.F32, device);
          double[] drift =
              DiffusionDrift.alongAnswers(
                  model, ref, result.samples(), report.samples(), d.steps());
          kf = drift[0];
          kr = drift[1];
          double[] p =
              DiffusionDrift.onProbe(
                  cfg, task, prompts, folder, RunSetup.evalProblems(cfg, task), model, ref);
          pf = p[0];
          pr = p[1];
        }
      }
      Map<Integer, Double> pass = new TreeMap<>();
      if (k >= 2) {
        for (int j : new int[] {1, 8, k}) {
          if (j <= k) pass.put(j, PassAtK.of(report.samples(), k, j));
        }
      }
      Evaluation e =
          new Evaluation(
              report.scores(),
              kf,
              kr,
              Double.NaN,
              (System.nanoTime() - t0) / 1e9,
              pass,
              Double.NaN);
      return new DiffusionEvaluation(e, pf, pr);
    }
  }
}
