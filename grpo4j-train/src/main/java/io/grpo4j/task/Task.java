package io.grpo4j.task;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An environment the trainer can learn from, stated in task-neutral terms: where problems come
 * from, how they are put to the model, what a correct answer looks like (for SFT warm-start) and
 * who judges answers. The trainer and evaluator only ever see this interface, so a new task (for
 * example a JSONL of questions with numeric answers) plugs in without touching them.
 *
 * @param <D> the task's problem data
 */
public interface Task<D> extends AutoCloseable {

  /** The task's name as used in config files ({@code task: countdown}). */
  String name();

  /**
   * Draws {@code n} training problems, deterministically from {@code seed}: the same seed always
   * gives the same problems, different seeds give (almost surely) different ones. Generative tasks
   * make fresh problems; dataset-backed tasks sample their pool.
   */
  List<Problem<D>> draw(long seed, int n);

  /**
   * Reads a JSONL dataset in this task's schema (one problem per line).
   *
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException naming the file, line and field, if a line is malformed
   */
  List<Problem<D>> readProblems(Path jsonl) throws IOException;

  /**
   * The prompt text for a problem. For {@link PromptStyle#CHAT} this is the user message only; the
   * caller applies the model's chat template.
   */
  String prompt(Problem<D> problem, PromptStyle style);

  /**
   * A correct completion for SFT warm-start, exactly as the model should write it after the prompt
   * (without any end-of-text token, which the caller appends).
   *
   * @throws IllegalArgumentException if this problem has no known reference answer
   */
  String referenceCompletion(Problem<D> problem);

  /** The verifier that judges this task's answers. */
  Verifier<D> verifier();

  /**
   * Where an answer divides into steps, for credit that needs cut points: the text that ends a step
   * (token-level credit from prefix trees branches after a token containing it, {@code
   * sampling.tree.branch_at: line_end}; Monte-Carlo prefix values, {@code rl.advantage.mode:
   * mc_prefix}, are measured after such tokens). By default a newline: Countdown writes one step
   * per line, and the answers of most JSONL tasks are lines of reasoning.
   */
  default String segmentDelimiter() {
    return "\n";
  }

  /**
   * The prompt as chat messages, for {@link PromptStyle#CHAT}; the caller renders them through the
   * model's chat template. By default one user message with {@code prompt(problem, CHAT)}.
   */
  default List<ChatMessage> messages(Problem<D> problem) {
    return List.of(new ChatMessage("user", prompt(problem, PromptStyle.CHAT)));
  }

  /**
   * The tools offered to the model with this problem, as JSON-schema function specs ({@code
   * {"type": "function", "function": {"name", "description", "parameters"}}}), passed to the chat
   * template under {@link PromptStyle#CHAT}; null (the default) for none.
   */
  default List<java.util.Map<String, Object>> tools(Problem<D> problem) {
    return null;
  }

  /**
   * Judges a batch of finished completions: {@code judge(problems, completions).get(i)} is the
   * verdict on {@code completions.get(i)} as an answer to {@code problems.get(i)}. By default the
   * {@link #verifier()} judges each one (it never fails); tasks whose rewards come from programs or
   * services override this to call them once per batch, and may return failures.
   */
  default List<Verdict<D>> judge(List<Problem<D>> problems, List<String> completions) {
    if (problems.size() != completions.size()) {
      throw new IllegalArgumentException(
          problems.size() + " problems but " + completions.size() + " completions");
    }
    List<Verdict<D>> out = new ArrayList<>(problems.size());
    for (int i = 0; i < problems.size(); i++) {
      out.add(Verdict.of(verifier(), problems.get(i), completions.get(i)));
    }
    return out;
  }

  /**
   * Stops what the task holds (reward programs, connections). Callers open a task with {@code try
   * (Task<?> task = Tasks.create(cfg))}; by default there is nothing to stop.
   */
  @Override
  default void close() {}
}
