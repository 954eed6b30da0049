package io.grpo4j.cli;

import io.grpo4j.report.ReportWriter;
import io.grpo4j.run.Runs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "train",
    description = {
      "GRPO: rollouts -> token rewards -> group-relative advantages -> clipped surrogate + forward/reverse KL.",
      "  grpo4j train --config FILE --out RUN_DIR [--init MODEL_DIR] [--set k=v ...]",
      "  grpo4j train --resume RUN_DIR"
    })
final class TrainCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(names = "--out", description = "Run folder (new or empty).")
  Path out;

  @Option(
      names = "--init",
      description = "Model folder to start from (same as --set model.init=DIR).")
  Path init;

  @Option(
      names = "--resume",
      paramLabel = "RUN_DIR",
      description = "Continue a run from its newest complete checkpoint.")
  Path resume;

  @Override
  public Integer call() throws Exception {
    Path last;
    if (resume != null) {
      if (out != null || init != null || config.config != null || !config.overrides.isEmpty()) {
        throw new IllegalArgumentException(
            "--resume takes the run's own config.yaml; drop --out/--init/--config/--set");
      }
      last = config.resume(resume);
    } else {
      if (out == null)
        throw new IllegalArgumentException("give --out RUN_DIR (or --resume RUN_DIR)");
      List<String> extra = new ArrayList<>();
      if (init != null) extra.add("model.init=" + init);
      last = Runs.grpo(config.load(extra), out, System.out);
    }
    System.out.println("final checkpoint: " + last);
    ReportWriter.afterRun(resume != null ? resume : out, System.out);
    return 0;
  }
}
