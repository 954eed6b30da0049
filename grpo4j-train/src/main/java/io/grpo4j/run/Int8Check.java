package io.grpo4j.run;

import io.grpo4j.config.RunConfig;
import io.grpo4j.eval.EvalReport;
import io.grpo4j.eval.Evaluator;
import io.grpo4j.eval.GreedyAgreement;
import io.grpo4j.eval.Prompts;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.task.Problem;
import io.grpo4j.task.PromptStyle;
import io.grpo4j.task.Task;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Torch;
import java.io.IOException;
import java.util.List;

/**
 * {@code grpo4j eval-int8}: a model against its int8 weight-only copy (per-output-channel linear
 * layers) on the same held-out problems, greedy — weight memory, decode time, success and how often
 * the two write the same completion.
 */
public final class Int8Check {
  private Int8Check() {}

  /** One model's side: its weights' size, the greedy evaluation's seconds, and its report. */
  public record Side(
      String name, double weightMegabytes, double greedySeconds, EvalReport report) {}

  /** Both sides on {@code problems} problems of at most {@code maxNewTokens} new tokens. */
  public record Result(
      int problems, int maxNewTokens, Side dense, Side int8, GreedyAgreement agreement) {}

  /**
   * Loads the model in {@code folder} at {@code model.dtype}, quantizes a copy, warms both up on 8
   * problems, then evaluates the dense model and the int8 one on {@code problems} in turn.
   */
  public static <D> Result run(
      RunConfig cfg, Task<D> task, List<Problem<D>> problems, ModelFolder folder)
      throws IOException {
    Torch.init(cfg.model().threads(), cfg.seed());
    String device = Torch.deviceName(cfg.model().device());
    Qwen2Model dense =
        folder.loadModel(DType.resolve(cfg.model().dtype(), cfg.model().device()), device);
    Qwen2Model int8 = dense.quantizedInt8();
    Evaluator<D> evaluator =
        new Evaluator<>(
            task, new Prompts<>(task, PromptStyle.parse(cfg.task().promptStyle()), folder), folder);
    int maxNew = cfg.sampling().maxNewTokens();
    evaluator.run(int8, problems.subList(0, Math.min(8, problems.size())), 0, maxNew, 0, null);
    long t0 = System.nanoTime();
    EvalReport a = evaluator.run(dense, problems, 0, maxNew, 0, null);
    long t1 = System.nanoTime();
    EvalReport b = evaluator.run(int8, problems, 0, maxNew, 0, null);
    long t2 = System.nanoTime();
    return new Result(
        problems.size(),
        maxNew,
        new Side(cfg.model().dtype(), dense.weightBytes() / 1e6, (t1 - t0) / 1e9, a),
        new Side("int8", int8.weightBytes() / 1e6, (t2 - t1) / 1e9, b),
        GreedyAgreement.of(a, b));
  }
}
