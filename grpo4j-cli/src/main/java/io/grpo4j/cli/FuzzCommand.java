package io.grpo4j.cli;

import io.grpo4j.fuzz.Fuzzer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code grpo4j fuzz}: parses the options and runs {@link Fuzzer}; exits with 1 when an input broke
 * a parser's contract.
 */
@Command(
    name = "fuzz",
    hidden = true,
    description =
        "Fuzz the file parsers: random and mutated inputs must be accepted or rejected with the documented exception.")
final class FuzzCommand implements Callable<Integer> {
  @Option(
      names = "--target",
      description =
          "safetensors, config-json, yaml-config, countdown-jsonl, answers-steps, answers-expression or all (default).")
  String target = "all";

  @Option(
      names = "--count",
      description = "Inputs in total, split evenly over the targets (default ${DEFAULT-VALUE}).")
  long count = 100000;

  @Option(names = "--seed", description = "Random seed (default ${DEFAULT-VALUE}).")
  long seed = 1;

  @Option(
      names = "--failures",
      description = "Folder for inputs that break a contract (default ${DEFAULT-VALUE}).")
  Path failures = Path.of("fuzz-failures");

  @Override
  public Integer call() throws Exception {
    return new Fuzzer(failures, System.out).run(target, count, seed) == 0 ? 0 : 1;
  }
}
