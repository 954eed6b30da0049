package io.grpo4j.eval;

import io.grpo4j.generate.DiffusionRollout;
import io.grpo4j.generate.DiffusionSample;
import io.grpo4j.generate.DiffusionSampler;
import io.grpo4j.generate.Sample;
import io.grpo4j.model.MaskedDiffusionModel;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.task.Outcome;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * {@link Evaluator} for a masked-diffusion model: answers held-out problems with T denoising steps
 * of L positions and scores each answer (the text up to its first stop token) with the task's
 * verifier. Greedy-equivalent (k = 0): low-confidence order at τ = 0, LLaDA's deterministic
 * decoder. Sampled (k ≥ 1): k answers per problem in the random order at τ = 1 — the policy GRPO
 * trains.
 */
public final class DiffusionEvaluator<D> {
  private final Task<D> task;
  private final Prompts<D> prompts;
  private final ModelFolder folder;

  public DiffusionEvaluator(Task<D> task, Prompts<D> prompts, ModelFolder folder) {
    this.task = task;
    this.prompts = prompts;
    this.folder = folder;
  }

  /**
   * The report and the generated trajectories, row i of {@code samples} being the answer scored as
   * {@code report.samples().get(i)}.
   */
  public record Result(EvalReport report, List<DiffusionSample> samples) {}

  /**
   * @param k 0 for the greedy-equivalent decoder, else samples per problem
   * @param progress called with the number of problems done (may be null)
   */
  public Result run(
      MaskedDiffusionModel model,
      List<Problem<D>> problems,
      int k,
      int genLength,
      int steps,
      long seed,
      IntConsumer progress) {
    DiffusionSampler sampler = new DiffusionSampler(model);
    int n = Math.max(1, k);
    List<ScoredSample> scored = new ArrayList<>();
    List<DiffusionSample> all = new ArrayList<>();
    for (int start = 0; start < problems.size(); start += Evaluator.BATCH) {
      List<Problem<D>> chunk =
          problems.subList(start, Math.min(problems.size(), start + Evaluator.BATCH));
      List<int[]> ids = new ArrayList<>(chunk.size());
      for (Problem<D> p : chunk) ids.add(prompts.ids(p));
      DiffusionSampler.Params params =
          k == 0
              ? new DiffusionSampler.Params(
                  genLength, steps, DiffusionSampler.Order.LOW_CONFIDENCE, 0.0, seed, false)
              : new DiffusionSampler.Params(
                  genLength, steps, DiffusionSampler.Order.RANDOM, 1.0, seed + start, false);
      DiffusionRollout r = sampler.generate(ids, n, params);
      List<Sample> answers = new ArrayList<>(r.samples().size());
      List<Problem<D>> perSample = new ArrayList<>(r.samples().size());
      for (DiffusionSample s : r.samples()) {
        answers.add(s.asSample(folder.stopTokenIds()));
        perSample.add(chunk.get(s.promptIndex()));
      }
      List<Scoring.Result> results =
          Scoring.scoreAll(task, perSample, answers, folder.tokenizer(), folder.stopTokenIds());
      for (int i = 0; i < results.size(); i++) {
        Scoring.Result res = results.get(i);
        scored.add(
            res.failed()
                ? new ScoredSample(
                    answers.get(i),
                    res.text(),
                    new double[answers.get(i).length()],
                    new Outcome(0, false, "reward failed: " + res.failure()))
                : res.scored());
      }
      all.addAll(r.samples());
      if (progress != null) progress.accept(start + chunk.size());
    }
    return new Result(EvalReport.of(problems.size(), n, scored), all);
  }
}
