package io.grpo4j.task;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A task whose training problems come from a fixed pool (typically a JSONL file read with {@link
 * Task#readProblems}) instead of the task's own generator. Everything else (prompts, references,
 * verifier) is delegated, so the trainer does not know the difference.
 *
 * <p>{@link #draw} picks {@code n} distinct pool entries uniformly at random (a partial
 * Fisher-Yates shuffle seeded by {@code seed}); when {@code n} exceeds the pool size, every entry
 * appears {@code n / size} or {@code n / size + 1} times.
 */
public final class DatasetTask<D> implements Task<D> {
  private final Task<D> task;
  private final List<Problem<D>> pool;

  public DatasetTask(Task<D> task, List<Problem<D>> pool) {
    this.task = Objects.requireNonNull(task, "task");
    if (pool.isEmpty()) {
      throw new IllegalArgumentException("dataset for task '" + task.name() + "' is empty");
    }
    this.pool = List.copyOf(pool);
  }

  /** The pool problems are drawn from. */
  public List<Problem<D>> pool() {
    return pool;
  }

  @Override
  public String name() {
    return task.name();
  }

  @Override
  public List<Problem<D>> draw(long seed, int n) {
    if (n < 0) {
      throw new IllegalArgumentException("cannot draw a negative number of problems: " + n);
    }
    SplittableRandom random = new SplittableRandom(seed);
    int size = pool.size();
    int[] order = new int[size];
    for (int i = 0; i < size; i++) {
      order[i] = i;
    }
    List<Problem<D>> out = new ArrayList<>(n);
    int next = size; // position in the current shuffled round; size means "start a new round"
    while (out.size() < n) {
      if (next == size) {
        next = 0;
      }
      // Shuffle only as far as needed (partial Fisher-Yates): order[next] becomes a uniform pick
      // among the entries not yet drawn in this round.
      int swap = next + random.nextInt(size - next);
      int tmp = order[next];
      order[next] = order[swap];
      order[swap] = tmp;
      out.add(pool.get(order[next]));
      next++;
    }
    return List.copyOf(out);
  }

  @Override
  public List<Problem<D>> readProblems(Path jsonl) throws IOException {
    return task.readProblems(jsonl);
  }

  @Override
  public String prompt(Problem<D> problem, PromptStyle style) {
    return task.prompt(problem, style);
  }

  @Override
  public String referenceCompletion(Problem<D> problem) {
    return task.referenceCompletion(problem);
  }

  @Override
  public Verifier<D> verifier() {
    return task.verifier();
  }
}
