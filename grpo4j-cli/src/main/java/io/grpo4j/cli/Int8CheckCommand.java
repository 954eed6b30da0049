package io.grpo4j.cli;

import io.grpo4j.config.RunConfig;
import io.grpo4j.eval.EvalReport;
import io.grpo4j.eval.Evaluator;
import io.grpo4j.eval.GreedyAgreement;
import io.grpo4j.eval.Prompts;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.run.Tasks;
import io.grpo4j.task.Problem;
import io.grpo4j.task.PromptStyle;
import io.grpo4j.task.Task;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Torch;
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
    Torch.init(cfg.model().threads(), cfg.seed());
    String device = Torch.deviceName(cfg.model().device());
    try (ModelFolder folder = model.open()) {
      Qwen2Model dense =
          folder.loadModel(DType.resolve(cfg.model().dtype(), cfg.model().device()), device);
      Qwen2Model int8 = dense.quantizedInt8();
      Evaluator<D> evaluator =
          new Evaluator<>(
              task,
              new Prompts<>(task, PromptStyle.parse(cfg.task().promptStyle()), folder),
              folder);
      int maxNew = cfg.sampling().maxNewTokens();
      evaluator.run(
          int8, problems.subList(0, Math.min(8, problems.size())), 0, maxNew, 0, null); // warm-up
      long t0 = System.nanoTime();
      EvalReport a = evaluator.run(dense, problems, 0, maxNew, 0, null);
      long t1 = System.nanoTime();
      EvalReport b = evaluator.run(int8, problems, 0, maxNew, 0, null);
      long t2 = System.nanoTime();
      GreedyAgreement g = GreedyAgreement.of(a, b);
      System.out.printf(
          "%d held-out problems, greedy, max %d new tokens, %s weights vs int8 (per-output-channel) linear layers%n",
          problems.size(), maxNew, cfg.model().dtype());
      System.out.printf(
          "%-6s %12s %14s %9s %10s%n",
          "model", "weights MB", "greedy eval s", "success", "mean_len");
      row(cfg.model().dtype(), dense, t1 - t0, a);
      row("int8", int8, t2 - t1, b);
      System.out.printf(
          "greedy agreement: %.1f%% of completions identical, %.1f%% of tokens agree before the first divergence%n",
          100 * g.identical(), 100 * g.tokenAgreement());
    }
    return 0;
  }

  private static void row(String name, Qwen2Model model, long nanos, EvalReport report) {
    System.out.printf(
        "%-6s %12.2f %14.2f %8.1f%% %10.1f%n",
        name,
        model.weightBytes() / 1e6,
        nanos / 1e9,
        100 * report.scores().successRate(),
        report.scores().meanLength());
  }
}
