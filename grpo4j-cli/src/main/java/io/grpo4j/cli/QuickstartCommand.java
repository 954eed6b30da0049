package io.grpo4j.cli;

import io.grpo4j.config.RunConfig;
import io.grpo4j.report.ReportWriter;
import io.grpo4j.run.Quickstart;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "quickstart",
    description = {
      "The whole loop on the embedded default: Countdown data -> tiny model -> (SFT) -> eval -> GRPO -> eval,",
      "with a before/after table and summary.json in the run folder."
    })
final class QuickstartCommand implements Callable<Integer> {
  @Option(
      names = "--out",
      defaultValue = "runs/quickstart",
      description = "Run folder (default: ${DEFAULT-VALUE}); must be new or empty.")
  Path out;

  @Option(
      names = "--budget-minutes",
      defaultValue = "10",
      description = "Wall-time budget of the GRPO phase (default: ${DEFAULT-VALUE}).")
  double budgetMinutes;

  @Option(
      names = "--from-scratch",
      description =
          "Run SFT from a fresh tiny model first instead of starting from the shipped SFT checkpoint.")
  boolean fromScratch;

  @Mixin PassAtKOptions pass;

  @Mixin ConfigOptions config;

  @Override
  public Integer call() throws Exception {
    RunConfig cfg = config.load(List.of("train.budget_minutes=" + budgetMinutes));
    Quickstart.run(
        cfg, new Quickstart.Options(out, fromScratch, pass.k(), pass.problems), System.out);
    ReportWriter.afterRun(out, System.out);
    return 0;
  }
}
