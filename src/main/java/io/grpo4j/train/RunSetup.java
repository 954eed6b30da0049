package io.grpo4j.train;

import io.grpo4j.eval.EvalReport;
import io.grpo4j.eval.Evaluator;
import io.grpo4j.eval.Prompts;
import io.grpo4j.eval.ScoredSample;
import io.grpo4j.generate.Sample;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.task.Problem;
import io.grpo4j.task.PromptStyle;
import io.grpo4j.task.Task;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;

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

  public static <D> RunSetup<D> of(
      RunConfig config, Path runDir, Task<D> task, ModelFolder folder) {
    Prompts<D> prompts =
        new Prompts<>(task, PromptStyle.parse(config.task().promptStyle()), folder);
    List<Problem<D>> eval = task.draw(config.data().evalSeed(), config.data().evalSize());
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

  /** n training problems drawn from {@code seed}, none of them in the held-out set. */
  public List<Problem<D>> trainProblems(long seed, int n) {
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

  public ScoredSample score(Problem<D> problem, Sample sample) {
    return ScoredSample.score(task, problem, sample, folder.tokenizer(), folder.stopTokenIds());
  }

  /** Greedy evaluation on the held-out set. */
  public EvalReport evaluate(Qwen2Model model, IntConsumer progress) {
    return new Evaluator<>(task, prompts, folder)
        .run(model, evalSet, 0, config.sampling().maxNewTokens(), 0, progress);
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
