package io.grpo4j.train;

import io.grpo4j.config.ConfigLoader;
import io.grpo4j.config.RunConfig;
import io.grpo4j.eval.EvalReport;
import io.grpo4j.eval.EvalScores;
import io.grpo4j.eval.Evaluator;
import io.grpo4j.eval.Prompts;
import io.grpo4j.eval.Scoring;
import io.grpo4j.generate.Sample;
import io.grpo4j.metrics.MetricNames;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.task.EpochData;
import io.grpo4j.task.Problem;
import io.grpo4j.task.PromptStyle;
import io.grpo4j.task.Task;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What SFT and GRPO share: the resolved config, the run folder, the task, the starting model folder
 * (tokenizer, chat template, stop tokens) and the held-out evaluation set, which training draws
 * never include.
 */
public record RunSetup<D>(
    RunConfig config,
    Path runDir,
    Task<D> task,
    ModelFolder folder,
    Prompts<D> prompts,
    List<Problem<D>> evalSet,
    Set<String> evalIds,
    String configHash) {

  public static <D> RunSetup<D> of(RunConfig config, Path runDir, Task<D> task, ModelFolder folder)
      throws IOException {
    Prompts<D> prompts =
        new Prompts<>(task, PromptStyle.parse(config.task().promptStyle()), folder);
    List<Problem<D>> eval = evalProblems(config, task);
    Set<String> ids = new HashSet<>();
    for (Problem<D> p : eval) ids.add(p.id());
    return new RunSetup<>(
        config,
        runDir,
        task,
        folder,
        prompts,
        List.copyOf(eval),
        Set.copyOf(ids),
        sha256(ConfigLoader.toYaml(config)));
  }

  /**
   * The held-out set: the first {@code data.eval_size} rows of {@code data.eval_file} when set,
   * else {@code eval_size} problems the task draws with {@code data.eval_seed}.
   */
  public static <D> List<Problem<D>> evalProblems(RunConfig config, Task<D> task)
      throws IOException {
    RunConfig.Data d = config.data();
    if (d.evalFile() == null || d.evalFile().isEmpty())
      return task.draw(d.evalSeed(), d.evalSize());
    List<Problem<D>> all = task.readProblems(Path.of(d.evalFile()));
    return all.subList(0, Math.min(all.size(), d.evalSize()));
  }

  /**
   * The {@code n} training problems of a step (1, 2, ...) of a run's problem stream ({@link
   * Seeds#TRAIN_PROBLEMS}, {@link Seeds#SFT_PROBLEMS}): a dataset task's next rows in its epoch
   * order, or fresh draws outside the held-out set.
   */
  public List<Problem<D>> trainProblems(long stream, long step, int n) {
    if (task instanceof EpochData<?>) {
      @SuppressWarnings("unchecked")
      EpochData<D> data = (EpochData<D>) task;
      return data.trainBatch(Seeds.derive(config.seed(), stream, 0), step - 1, n);
    }
    return trainProblems(Seeds.derive(config.seed(), stream, step), n);
  }

  /** n training problems drawn from {@code seed}, none of them in the held-out set. */
  List<Problem<D>> trainProblems(long seed, int n) {
    List<Problem<D>> out = new ArrayList<>(n);
    long s = seed;
    for (int attempt = 0; out.size() < n; attempt++) {
      if (attempt > 100)
        throw new IllegalStateException(
            "cannot draw "
                + n
                + " training problems outside the held-out set: the task has too few distinct problems");
      for (Problem<D> p : task.draw(s, n)) {
        if (!evalIds.contains(p.id()) && out.size() < n) out.add(p);
      }
      s = Seeds.derive(s, 99, attempt);
    }
    return out;
  }

  /** Scores samples of {@code problems} (by their prompt index) with one judge call. */
  public List<Scoring.Result> scoreAll(List<Problem<D>> problems, List<Sample> samples) {
    List<Problem<D>> perSample = new ArrayList<>(samples.size());
    for (Sample s : samples) perSample.add(problems.get(s.promptIndex()));
    return Scoring.scoreAll(task, perSample, samples, folder.tokenizer(), folder.stopTokenIds());
  }

  /**
   * Greedy evaluation on the held-out set, its problems shared by the data-parallel ranks (rank r
   * evaluates problems r, r + W, …; {@link DataParallel#combine} adds up the ranks' counts), put
   * into {@code row} as the metrics {@code eval/success_rate}, {@code eval/reward_per_prompt} and
   * {@code eval/mean_len} (and {@code eval/turns_mean}, model turns per episode, for a task played
   * against an environment).
   */
  void evaluateInto(Map<String, Object> row, Qwen2Model model, DataParallel dp) {
    List<Problem<D>> share = new ArrayList<>();
    for (int i = dp.rank(); i < evalSet.size(); i += dp.worldSize()) share.add(evalSet.get(i));
    EvalReport mine =
        new Evaluator<>(task, prompts, folder)
            .run(model, share, 0, config.sampling().maxNewTokens(), 0, null);
    EvalScores all = dp.combine(mine).scores();
    row.put(MetricNames.EVAL_SUCCESS_RATE, all.successRate());
    row.put(MetricNames.EVAL_REWARD_PER_PROMPT, all.rewardPerPrompt());
    row.put(MetricNames.EVAL_MEAN_LEN, all.meanLength());
    if (task instanceof io.grpo4j.task.env.EnvironmentTask<?>) {
      // model turns per episode, over all ranks' episodes (sum of turns / sum of episodes)
      double turns = dp.sum(mine.samples().stream().mapToInt(s -> s.sample().turns()).sum());
      double episodes = dp.sum(mine.samples().size());
      row.put(MetricNames.EVAL_TURNS_MEAN, turns / Math.max(1, episodes));
    }
  }

  public static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
