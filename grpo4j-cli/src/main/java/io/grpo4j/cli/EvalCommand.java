package io.grpo4j.cli;

import io.grpo4j.config.RunConfig;
import io.grpo4j.run.Evaluation;
import io.grpo4j.run.Tasks;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Task;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "eval",
    description = {
      "Evaluate a model on held-out problems: success rate, reward per prompt and per token, length,",
      "KL drift to --ref, and the mean token advantage with --samples K >= 2."
    })
final class EvalCommand implements Callable<Integer> {
  @Mixin ModelOption model;

  @Option(
      names = "--ref",
      description = "Reference model folder for KL drift (e.g. the SFT start).")
  Path ref;

  @Option(
      names = "--samples",
      description = "0 = greedy; K = K sampled answers per problem (default: ${DEFAULT-VALUE}).")
  int samples = 0;

  @Mixin JsonOutput json;

  @Mixin HeldOutOptions heldOut;

  @Override
  public Integer call() throws Exception {
    RunConfig cfg = heldOut.config();
    Task<?> task = Tasks.create(cfg);
    try {
      return run(cfg, task);
    } finally {
      task.close();
    }
  }

  private <D> int run(RunConfig cfg, Task<D> task) throws Exception {
    List<Problem<D>> problems = heldOut.problems(cfg, task);
    Evaluation e =
        Evaluation.run(cfg, task, problems, model.dir, model.adapter(), ref, samples, System.out);
    String name =
        model.dir.getFileName()
            + (model.adapter() == null ? "" : "+" + model.adapter().getFileName());
    System.out.print(Evaluation.table(List.of(name), List.of(e)));
    System.out.printf(
        "(%d problems x %d, %.1fs)%n",
        e.scores().prompts(), e.scores().samplesPerPrompt(), e.seconds());
    json.write(e);
    return 0;
  }
}
