package io.grpo4j.task.env;

import io.grpo4j.task.ChatMessage;
import io.grpo4j.task.EpochData;
import io.grpo4j.task.Problem;
import io.grpo4j.task.PromptStyle;
import io.grpo4j.task.Task;
import io.grpo4j.task.Verdict;
import io.grpo4j.task.Verifier;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A dataset task whose problems are played as multi-turn episodes against an environment ({@code
 * env:}): its rows give the first prompt, the environment gives the observations and the reward.
 * Everything about problems and prompts is the inner task's; the environment and its settings come
 * along for the trainer and the evaluator, which run episodes instead of single completions. A
 * completion cannot be judged on its own ({@link #judge} fails it, saying so): the environment
 * judges whole episodes.
 *
 * <p>The inner task must visit a dataset ({@link EpochData}, e.g. {@code task.name: jsonl}): each
 * row is one episode's start. Closing this task stops the environment and closes the inner task.
 */
public final class EnvironmentTask<D>
    implements Task<D>, EpochData<D>, EpisodeRows<D>, AutoCloseable {
  private final Task<D> inner;
  private final EnvConfig config;
  private final EnvironmentClient client;

  /**
   * @throws IllegalArgumentException when the inner task does not visit a dataset
   */
  public EnvironmentTask(Task<D> inner, EnvConfig config, EnvironmentClient client) {
    this.inner = Objects.requireNonNull(inner, "inner");
    this.config = Objects.requireNonNull(config, "config");
    this.client = Objects.requireNonNull(client, "client");
    if (!(inner instanceof EpochData<?>)) {
      throw new IllegalArgumentException(
          "env: needs a dataset task whose rows start the episodes (task.name: jsonl, or a"
              + " plug-in implementing EpochData); task '"
              + inner.name()
              + "' draws its problems");
    }
  }

  /** The settings of the episodes ({@code env:}). */
  public EnvConfig config() {
    return config;
  }

  /** The environment. */
  public EnvironmentClient client() {
    return client;
  }

  /** The task whose rows start the episodes. */
  public Task<D> inner() {
    return inner;
  }

  @Override
  public String name() {
    return inner.name();
  }

  @Override
  @SuppressWarnings("unchecked")
  public List<Problem<D>> trainBatch(long seed, long index, int n) {
    return ((EpochData<D>) inner).trainBatch(seed, index, n);
  }

  @Override
  public EpisodeRows.Row row(Problem<D> problem) {
    return EpisodeRows.of(inner, problem);
  }

  @Override
  public List<Problem<D>> draw(long seed, int n) {
    return inner.draw(seed, n);
  }

  @Override
  public List<Problem<D>> readProblems(Path jsonl) throws IOException {
    return inner.readProblems(jsonl);
  }

  @Override
  public String prompt(Problem<D> problem, PromptStyle style) {
    return inner.prompt(problem, style);
  }

  @Override
  public List<ChatMessage> messages(Problem<D> problem) {
    return inner.messages(problem);
  }

  @Override
  public List<java.util.Map<String, Object>> tools(Problem<D> problem) {
    return inner.tools(problem);
  }

  @Override
  public String referenceCompletion(Problem<D> problem) {
    return inner.referenceCompletion(problem);
  }

  @Override
  public Verifier<D> verifier() {
    return inner.verifier();
  }

  /** Every completion fails: an environment judges whole episodes, not completions. */
  @Override
  public List<Verdict<D>> judge(List<Problem<D>> problems, List<String> completions) {
    Verdict<D> failure =
        new Verdict<>(
            null,
            null,
            "this run's rewards come from its environment (env:), which judges whole episodes");
    return problems.stream().map(p -> failure).toList();
  }

  @Override
  public void close() {
    try {
      client.close();
    } finally {
      inner.close();
    }
  }
}
