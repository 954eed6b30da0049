package io.grpo4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpo4j.audit.MemoryTrend;
import io.grpo4j.audit.RunCheck;
import io.grpo4j.metrics.MetricsLog;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Developer command behind scripts/crash-test.sh: audits a run folder (see {@link RunCheck}). */
@Command(
    name = "check-run",
    hidden = true,
    description =
        "Audit a run folder: checkpoints verify and load, metrics hold every step once, samples and config intact.")
final class CheckRunCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "RUN_DIR")
  Path run;

  @Option(
      names = "--finished",
      description = "The run must have completed (no torn line, last step reached).")
  boolean finished;

  @Option(names = "--quiet", description = "Print only problems.")
  boolean quiet;

  @Option(
      names = "--memory-warmup",
      paramLabel = "STEPS",
      description = "Also check the mem/* metrics after this many warm-up steps.")
  Integer memoryWarmup;

  @Option(
      names = "--max-memory-growth",
      description =
          "Largest allowed growth of RSS and native bytes after warm-up (default ${DEFAULT-VALUE}).")
  double maxGrowth = 0.05;

  @Option(
      names = "--memory-table",
      paramLabel = "EVERY",
      description = "Print the mem/* metrics of every EVERY-th step.")
  int tableEvery = 0;

  @Override
  public Integer call() throws Exception {
    RunCheck.Report r = RunCheck.audit(run, finished);
    if (!quiet) r.passed().forEach(p -> System.out.println("ok: " + p));
    r.problems().forEach(p -> System.out.println("PROBLEM: " + p));
    boolean memoryOk = memoryWarmup == null || memory();
    return r.ok() && memoryOk ? 0 : 1;
  }

  private boolean memory() throws Exception {
    List<JsonNode> rows = MetricsLog.read(run.resolve("metrics.jsonl"));
    if (tableEvery > 0) {
      System.out.printf(
          "%6s %12s %12s %14s %16s%n",
          "step", "rss MiB", "native MiB", "javacpp bytes", "javacpp pointers");
      for (JsonNode n : rows) {
        if (n.path("step").asLong() % tableEvery == 0 || n.path("step").asLong() == 1) {
          System.out.printf(
              "%6d %12.1f %12.1f %,14d %,16d%n",
              n.path("step").asLong(),
              n.path("mem/rss_bytes").asDouble() / (1 << 20),
              n.path("mem/native_bytes").asDouble() / (1 << 20),
              n.path("mem/javacpp_bytes").asLong(),
              n.path("mem/javacpp_pointers").asLong());
        }
      }
    }
    boolean ok = true;
    for (String metric : List.of("mem/rss_bytes", "mem/native_bytes", "mem/javacpp_bytes")) {
      MemoryTrend t = MemoryTrend.of(rows, metric, memoryWarmup);
      boolean checked =
          !metric.equals("mem/javacpp_bytes"); // a few KiB of wrappers: a percentage means nothing
      boolean pass = !checked || t.growth() < maxGrowth;
      System.out.println(
          (pass ? "ok: " : "PROBLEM: ")
              + t
              + (checked
                  ? String.format(" (limit %+.1f %%)", 100 * maxGrowth)
                  : " (informational)"));
      ok &= pass;
    }
    return ok;
  }
}
