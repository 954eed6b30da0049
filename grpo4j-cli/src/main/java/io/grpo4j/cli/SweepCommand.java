package io.grpo4j.cli;

import io.grpo4j.report.ReportWriter;
import io.grpo4j.run.Sweep;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "sweep",
    description = {
      "A grid of GRPO runs, N seeds per cell, each evaluated on the held-out problems; one table",
      "(mean ± sd over seeds: held-out success, pass@k, KL to the start model, time) as OUT/sweep.md",
      "and OUT/sweep.json. Runs live in OUT/<cell>/seed-<k>/; running again skips finished runs.",
      "  grpo4j sweep --config FILE --grid rl.advantage.mode=sequence,prefix [--grid ...] --seeds 3 --out DIR"
    })
final class SweepCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(
      names = "--grid",
      required = true,
      paramLabel = "KEY=V1,V2",
      description = "One axis of the grid: a config key and its values (repeatable).")
  List<String> grid = new ArrayList<>();

  @Option(
      names = "--seeds",
      defaultValue = "1",
      description = "Runs per cell, with seed=0..N-1 (default: ${DEFAULT-VALUE}).")
  int seeds;

  @Option(names = "--out", required = true, description = "The sweep folder.")
  Path out;

  @Mixin PassAtKOptions pass;

  @Option(
      names = "--baseline",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "Also evaluate the start model once, OUT/start/eval.json (default: on).")
  boolean baseline;

  @Override
  public Integer call() throws Exception {
    Path file = config.config;
    if (file == null && Files.isRegularFile(ConfigOptions.DEFAULT_CONFIG))
      file = ConfigOptions.DEFAULT_CONFIG;
    List<Sweep.Axis> axes = grid.stream().map(Sweep.Axis::parse).toList();
    new Sweep(file, config.overrides, axes, seeds, out, pass.k(), pass.problems, baseline)
        .run(System.out);
    System.out.println("sweep: " + out.resolve("sweep.md") + ", " + out.resolve("sweep.json"));
    ReportWriter.afterRun(out, System.out); // report.html + plots with every cell's runs overlaid
    return 0;
  }
}
