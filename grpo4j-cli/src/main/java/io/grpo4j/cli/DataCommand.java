package io.grpo4j.cli;

import io.grpo4j.task.countdown.CountdownGenerator;
import io.grpo4j.task.countdown.CountdownInstance;
import io.grpo4j.task.countdown.CountdownJsonl;
import io.grpo4j.task.countdown.CountdownSettings;
import io.grpo4j.task.countdown.CountdownSolver;
import io.grpo4j.task.countdown.CountdownStats;
import io.grpo4j.task.countdown.Rules;
import io.grpo4j.torch.AtomicFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code grpo4j data ...}: make datasets and describe them. */
@Command(
    name = "data",
    description = "Make and inspect datasets.",
    subcommands = {DataCommand.Countdown.class, DataCommand.Stats.class})
final class DataCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /**
   * {@code grpo4j data countdown}: a seeded, deduplicated Countdown dataset with a train/test
   * split. Its generator options default to the config's ({@link CountdownSettings}).
   */
  @Command(
      name = "countdown",
      description = {
        "Generate solvable Countdown instances (JSONL: id, numbers, target, max_steps, solution).",
        "The same options and seed always give the same file; no instance is in both splits."
      })
  static final class Countdown implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--n",
        required = true,
        description = "Number of distinct instances (train + test).")
    int n;

    @Option(
        names = "--numbers",
        description = "Count of numbers per instance, 2..8 (default: ${DEFAULT-VALUE}).")
    String numbers = CountdownSettings.MIN_NUMBERS + ".." + CountdownSettings.MAX_NUMBERS;

    @Option(
        names = "--values",
        description = "Range of the starting numbers (default: ${DEFAULT-VALUE}).")
    String values = CountdownSettings.MIN_VALUE + ".." + CountdownSettings.MAX_VALUE;

    @Option(names = "--targets", description = "Range of the targets (default: ${DEFAULT-VALUE}).")
    String targets = CountdownSettings.MIN_TARGET + ".." + CountdownSettings.MAX_TARGET;

    @Option(
        names = "--min-steps",
        description = "Fewest steps of the reference solution (default: ${DEFAULT-VALUE}).")
    int minSteps = CountdownSettings.MIN_STEPS;

    @Option(
        names = "--max-steps",
        description =
            "Step budget stated in the prompt; also the longest reference solution (default: ${DEFAULT-VALUE}).")
    int maxSteps = CountdownSettings.MAX_STEPS;

    @Option(
        names = "--use-all",
        negatable = true,
        defaultValue = "" + CountdownSettings.USE_ALL_NUMBERS,
        fallbackValue = "true",
        description =
            "Reference solutions use every number (default: ${DEFAULT-VALUE}; needed for the expression format).")
    boolean useAll;

    @Mixin RulesOptions rules;

    @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--out", required = true, description = "Output JSONL file (the train split).")
    Path out;

    @Option(
        names = "--test-fraction",
        defaultValue = "0",
        description =
            "Fraction of instances held out as the test split (default: ${DEFAULT-VALUE}).")
    double testFraction;

    @Option(names = "--test-out", description = "Test split file (default: OUT with .test.jsonl).")
    Path testOut;

    @Override
    public Integer call() throws IOException {
      LongRange count = LongRange.parse(numbers, "--numbers");
      LongRange valueRange = LongRange.parse(values, "--values");
      LongRange targetRange = LongRange.parse(targets, "--targets");
      CountdownSettings settings =
          new CountdownSettings(
              count.minInt("--numbers"),
              count.maxInt("--numbers"),
              valueRange.min(),
              valueRange.max(),
              targetRange.min(),
              targetRange.max(),
              minSteps,
              maxSteps,
              useAll,
              rules.allowNegative,
              rules.allowZero,
              Rules.DEFAULT_BOUND);
      CountdownGenerator.Dataset data =
          new CountdownGenerator(settings).dataset(seed, n, testFraction);
      PrintWriter w = spec.commandLine().getOut();
      AtomicFiles.writeString(out, jsonl(data.train()));
      w.println("wrote " + data.train().size() + " train instances to " + out);
      if (!data.test().isEmpty()) {
        Path testPath = testOut != null ? testOut : testPathFor(out);
        AtomicFiles.writeString(testPath, jsonl(data.test()));
        w.println("wrote " + data.test().size() + " test instances to " + testPath);
      }
      w.flush();
      return 0;
    }

    private static String jsonl(List<CountdownInstance> instances) {
      StringBuilder sb = new StringBuilder();
      for (CountdownInstance inst : instances) {
        sb.append(CountdownJsonl.format(inst.id(), inst)).append('\n');
      }
      return sb.toString();
    }

    static Path testPathFor(Path out) {
      String name = out.getFileName().toString();
      String base =
          name.endsWith(".jsonl") ? name.substring(0, name.length() - ".jsonl".length()) : name;
      return out.resolveSibling(base + ".test.jsonl");
    }
  }

  /** {@code grpo4j data stats FILE}: difficulty statistics, checked by the brute-force solver. */
  @Command(
      name = "stats",
      description = {
        "Describe a Countdown JSONL file: sizes, targets, reference lengths, and the shortest",
        "solution the brute-force solver finds for each instance (within its max_steps)."
      })
  static final class Stats implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", description = "Countdown JSONL file.")
    Path file;

    @Mixin RulesOptions rules;

    @Option(
        names = "--node-budget",
        defaultValue = "" + CountdownSolver.DEFAULT_NODE_BUDGET,
        description =
            "Solver search nodes per instance before it reports 'unknown' (default: ${DEFAULT-VALUE}).")
    long nodeBudget;

    @Override
    public Integer call() throws IOException {
      CountdownStats stats =
          CountdownStats.of(file, new CountdownSolver(rules.rules(), nodeBudget));
      PrintWriter w = spec.commandLine().getOut();
      w.println("file: " + file);
      stats.lines().forEach(w::println);
      w.flush();
      return 0;
    }
  }
}
