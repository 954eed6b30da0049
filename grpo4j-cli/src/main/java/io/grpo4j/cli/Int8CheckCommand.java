package io.grpo4j.cli;

import io.grpo4j.config.RunConfig;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.run.Int8Check;
import io.grpo4j.run.Tasks;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Task;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
    name = "eval-int8",
    description =
        "Compare a model with its int8 weight-only copy on held-out problems: weight memory, greedy decode time, "
            + "greedy agreement, success rate.")
final class Int8CheckCommand implements Callable<Integer> {
  @Mixin ModelOption model;

  @Mixin HeldOutOptions heldOut;

  @Override
  public Integer call() throws Exception {
    RunConfig cfg = heldOut.config();
    try (Task<?> task = Tasks.create(cfg)) {
      return run(cfg, task);
    }
  }

  private <D> int run(RunConfig cfg, Task<D> task) throws Exception {
    List<Problem<D>> problems = heldOut.problems(cfg, task);
    try (ModelFolder folder = model.open()) {
      Int8Check.Result r = Int8Check.run(cfg, task, problems, folder);
      System.out.printf(
          "%d held-out problems, greedy, max %d new tokens, %s weights vs int8 (per-output-channel) linear layers%n",
          r.problems(), r.maxNewTokens(), r.dense().name());
      System.out.printf(
          "%-6s %12s %14s %9s %10s%n",
          "model", "weights MB", "greedy eval s", "success", "mean_len");
      row(r.dense());
      row(r.int8());
      System.out.printf(
          "greedy agreement: %.1f%% of completions identical, %.1f%% of tokens agree before the first divergence%n",
          100 * r.agreement().identical(), 100 * r.agreement().tokenAgreement());
    }
    return 0;
  }

  private static void row(Int8Check.Side side) {
    System.out.printf(
        "%-6s %12.2f %14.2f %8.1f%% %10.1f%n",
        side.name(),
        side.weightMegabytes(),
        side.greedySeconds(),
        100 * side.report().scores().successRate(),
        side.report().scores().meanLength());
  }
}
