package io.grpo4j.cli;

import io.grpo4j.config.RunConfig;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Task;
import io.grpo4j.train.RunSetup;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code --data} plus the run config, shared by the commands that score a model on held-out
 * problems (eval, eval-int8), so both read the same problems the same way: a JSONL file when given,
 * else the config's held-out draw (data.eval_seed, data.eval_size), the set training evaluates on.
 */
final class HeldOutOptions {
  @Option(
      names = "--data",
      description =
          "JSONL of problems in the task's schema (Countdown: from 'grpo4j data countdown'; jsonl:"
              + " the task.* fields); default: the config's held-out set (data.eval_file or"
              + " data.eval_seed).")
  Path data;

  @Mixin ConfigOptions config;

  RunConfig config() throws IOException {
    return config.load(List.of());
  }

  /** The problems to score; never empty (an empty set would report 0 % or NaN as a result). */
  <D> List<Problem<D>> problems(RunConfig cfg, Task<D> task) throws IOException {
    List<Problem<D>> problems =
        data != null ? task.readProblems(data) : RunSetup.evalProblems(cfg, task);
    if (problems.isEmpty()) {
      throw new IllegalArgumentException(
          (data != null ? data.toString() : "the config's held-out set (data.eval_size)")
              + " holds no problems");
    }
    return problems;
  }
}
