package io.grpo4j.task.env;

import java.util.List;
import java.util.Map;

/**
 * The {@code env:} config section: multi-turn episodes against an environment
 * (docs/environments.md). Without {@code command} and {@code name} (the default) every episode is
 * one prompt and one completion, judged by {@code reward.sources} or the task's verifier.
 *
 * <pre>{@code
 * env:
 *   command: "python3 env.py"     # or name: my-env (a Java Environment plug-in)
 *   max_turns: 4
 *   turn_stop: ["\n"]
 *   concurrency: 4
 *   timeout_s: 30
 * }</pre>
 *
 * Each key's default, and why, is the constant named after it.
 *
 * @param command the environment program's shell command line ({@link #COMMAND})
 * @param name a Java {@link EnvironmentProvider}'s name, instead of a command ({@link #NAME})
 * @param options a plug-in environment's own settings, free-form ({@link #OPTIONS})
 * @param maxTurns model turns per episode, at least 1 ({@link #MAX_TURNS})
 * @param turnStop strings that end a model turn (the turn keeps them); empty: only the stop tokens
 *     end a turn, which under a chat template is its end of turn ({@link #TURN_STOP})
 * @param maxTokens tokens an episode may add after its prompt, the model's and the environment's
 *     together; capped by the model's context ({@link #MAX_TOKENS})
 * @param concurrency copies of the program (threads of a plug-in) serving requests at once ({@link
 *     #CONCURRENCY})
 * @param timeoutS seconds a copy may stay silent while it has requests outstanding ({@link
 *     #TIMEOUT_S})
 * @param maxFailedBatches training steps in a row in which every episode failed before the run
 *     stops with the program's last stderr lines ({@link #MAX_FAILED_BATCHES})
 */
public record EnvConfig(
    String command,
    String name,
    Map<String, Object> options,
    int maxTurns,
    List<String> turnStop,
    int maxTokens,
    int concurrency,
    double timeoutS,
    int maxFailedBatches) {

  /** Default {@code env.command}: none (single-turn episodes). */
  public static final String COMMAND = null;

  /** Default {@code env.name}: none. */
  public static final String NAME = null;

  /** Default {@code env.options}: empty; only a plug-in environment reads it. */
  public static final Map<String, Object> OPTIONS = Map.of();

  /**
   * Default {@code env.max_turns}: the example; a tool call, its answer and a reply fit.
   */
  public static final int MAX_TURNS = 4;

  /** Default {@code env.turn_stop}: the chat template's end of turn (the model's stop tokens). */
  public static final List<String> TURN_STOP = List.of();

  /**
   * Default {@code env.max_tokens}: room for four turns of the default 512-token completion limit
   * and their observations; the model's context caps it (the tiny model's 512 positions).
   */
  public static final int MAX_TOKENS = 2048;

  /**
   * Default {@code env.concurrency}: as {@code reward.concurrency}, one per core of the small
   * machines this project is measured on; requests are pipelined, so a copy is rarely idle.
   */
  public static final int CONCURRENCY = 2;

  /** Default {@code env.timeout_s}: as {@code reward.timeout_s}. */
  public static final double TIMEOUT_S = 30;

  /** Default {@code env.max_failed_batches}: one restart is tolerated, a broken program is not. */
  public static final int MAX_FAILED_BATCHES = 3;

  /** The defaults above: no environment. */
  public static final EnvConfig DEFAULTS =
      new EnvConfig(
          COMMAND,
          NAME,
          OPTIONS,
          MAX_TURNS,
          TURN_STOP,
          MAX_TOKENS,
          CONCURRENCY,
          TIMEOUT_S,
          MAX_FAILED_BATCHES);

  public EnvConfig {
    command = command == null || command.isBlank() ? null : command;
    name = name == null || name.isBlank() ? null : name;
    options = options == null ? Map.of() : Map.copyOf(options);
    turnStop = turnStop == null ? List.of() : List.copyOf(turnStop);
    if (command != null && name != null) {
      throw new IllegalArgumentException(
          "env.command and env.name are alternatives (a program or a Java plug-in); set one");
    }
    if (maxTurns < 1) {
      throw new IllegalArgumentException("env.max_turns must be >= 1, got " + maxTurns);
    }
    for (int i = 0; i < turnStop.size(); i++) {
      if (turnStop.get(i) == null || turnStop.get(i).isEmpty()) {
        throw new IllegalArgumentException("env.turn_stop[" + i + "] must be a non-empty string");
      }
    }
    if (maxTokens < 2) {
      throw new IllegalArgumentException("env.max_tokens must be >= 2, got " + maxTokens);
    }
    if (concurrency < 1) {
      throw new IllegalArgumentException("env.concurrency must be >= 1, got " + concurrency);
    }
    if (!(timeoutS > 0) || Double.isInfinite(timeoutS)) {
      throw new IllegalArgumentException("env.timeout_s must be > 0 and finite, got " + timeoutS);
    }
    if (maxFailedBatches < 1) {
      throw new IllegalArgumentException(
          "env.max_failed_batches must be >= 1, got " + maxFailedBatches);
    }
  }

  /** True when episodes are multi-turn against an environment. */
  public boolean enabled() {
    return command != null || name != null;
  }
}
