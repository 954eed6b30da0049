package io.grpo4j.cli;

import io.grpo4j.report.ReportWriter;
import io.grpo4j.report.RunSet;
import io.grpo4j.report.RunSource;
import io.grpo4j.report.TensorBoardExport;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "report",
    description =
        "Writes a self-contained report.html (curves, eval table, coloured rollouts; opens from disk) and plots/*.png for run folders, quickstart folders or sweep folders. Several folders are overlaid in one report for comparison.")
final class ReportCommand implements Callable<Integer> {
  @Parameters(
      arity = "1..*",
      paramLabel = "RUN_DIR",
      description = "Run, quickstart or sweep folders.")
  List<Path> dirs;

  @Option(
      names = "--out",
      description =
          "Folder for report.html and plots/ (default: the folder given when there is one, else reports/compare).")
  Path out;

  @Option(names = "--title", description = "Page title (default: the folder names).")
  String title;

  @Option(
      names = "--tensorboard",
      description =
          "Also rewrite each run's TensorBoard event file from its metrics.jsonl and samples.jsonl.")
  boolean tensorboard;

  @Override
  public Integer call() throws Exception {
    RunSet set = RunSet.of(dirs);
    Path target = out != null ? out : dirs.size() == 1 ? dirs.get(0) : Path.of("reports/compare");
    String t =
        title != null ? title : String.join(" vs ", dirs.stream().map(RunSource::label).toList());
    ReportWriter.Written w = ReportWriter.write(set, target, t);
    System.out.printf(
        "report: %s (%d run%s), %s%n",
        w.report(),
        set.size(),
        set.size() == 1 ? "" : "s",
        w.plotsNote(target.resolve(ReportWriter.PLOTS)));
    if (tensorboard) {
      for (RunSource r : set.runs())
        System.out.println("tensorboard: " + TensorBoardExport.write(r));
    }
    return 0;
  }
}
