package io.grpo4j.eval;

import io.grpo4j.generate.Rollout;
import io.grpo4j.generate.Sample;
import io.grpo4j.generate.Sampler;
import io.grpo4j.generate.SamplingParams;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.task.Outcome;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Answers held-out problems with a model and scores every answer: greedy (one answer per problem)
 * or sampled (k per problem at temperature 1). A task played against an environment ({@code env:})
 * answers each problem with an episode ({@link Episodes}).
 */
public final class Evaluator<D> {
  /** Prompts per generation batch: large enough to keep the GEMMs busy, small enough for memory. */
  static final int BATCH = 64;

  private final Task<D> task;
  private final Prompts<D> prompts;
  private final ModelFolder folder;

  public Evaluator(Task<D> task, Prompts<D> prompts, ModelFolder folder) {
    this.task = task;
    this.prompts = prompts;
    this.folder = folder;
  }

  /**
   * @param k samples per problem; 0 means greedy
   * @param progress called with the number of problems done so far (may be null)
   */
  public EvalReport run(
      Qwen2Model model,
      List<Problem<D>> problems,
      int k,
      int maxNewTokens,
      long seed,
      IntConsumer progress) {
    Sampler sampler = new Sampler(model, folder.samplableVocab());
    SamplingParams params =
        k == 0
            ? SamplingParams.greedy(maxNewTokens, folder.stopTokenIds())
            : SamplingParams.sample(maxNewTokens, folder.stopTokenIds(), seed);
    int n = Math.max(1, k);
    // an environment task plays each problem as an episode
    Episodes<D> episodes = Episodes.of(task, prompts, folder);
    List<ScoredSample> scored = new ArrayList<>();
    for (int start = 0; start < problems.size(); start += BATCH) {
      List<Problem<D>> chunk = problems.subList(start, Math.min(problems.size(), start + BATCH));
      List<Sample> samples;
      List<Scoring.Result> results;
      if (episodes != null) {
        Episodes.Batch b = episodes.run(model, chunk, n, params, "eval" + start);
        samples = b.rollout().samples();
        results = b.results();
      } else {
        List<int[]> ids = new ArrayList<>(chunk.size());
        for (Problem<D> p : chunk) ids.add(prompts.ids(p));
        Rollout r = sampler.generate(ids, n, params);
        samples = r.samples();
        List<Problem<D>> perSample = new ArrayList<>(r.samples().size());
        for (int i = 0; i < r.samples().size(); i++) perSample.add(chunk.get(i / n));
        results =
            Scoring.scoreAll(task, perSample, samples, folder.tokenizer(), folder.stopTokenIds());
      }
      for (int i = 0; i < results.size(); i++) {
        Scoring.Result res = results.get(i);
        // A failed reward request (or episode) counts as unsolved here (there is no group to
        // drop), with the failure as its reason.
        scored.add(
            res.failed()
                ? new ScoredSample(
                    samples.get(i),
                    res.text(),
                    new double[samples.get(i).length()],
                    new Outcome(0, false, "reward failed: " + res.failure()))
                : res.scored());
      }
      if (progress != null) progress.accept(start + chunk.size());
    }
    return EvalReport.of(problems.size(), n, scored);
  }
}
