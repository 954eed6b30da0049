package io.grpo4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Long-running fuzzing of the file parsers ({@link FuzzTargets}); the test suite runs the same
 * targets for a few hundred inputs each. Inputs are valid seeds damaged by 1–8 random {@link
 * Mutator} edits, plus pure random bytes; the run is reproducible from {@code --seed}. Inputs that
 * break a contract are saved to {@code --failures} and the command exits with 1.
 */
@Command(
    name = "fuzz",
    hidden = true,
    mixinStandardHelpOptions = true,
    description =
        "Fuzz the file parsers: random and mutated inputs must be accepted or rejected with the documented exception.")
final class FuzzCommand implements Callable<Integer> {
  @Option(
      names = "--target",
      defaultValue = "all",
      description =
          "safetensors, config-json, yaml-config, countdown-jsonl, answers-steps, answers-expression or all (default).")
  String target;

  @Option(
      names = "--count",
      defaultValue = "100000",
      description = "Inputs in total, split evenly over the targets (default ${DEFAULT-VALUE}).")
  long count;

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "Random seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--failures",
      defaultValue = "fuzz-failures",
      description = "Folder for inputs that break a contract (default ${DEFAULT-VALUE}).")
  Path failures;

  @Override
  public Integer call() throws Exception {
    List<FuzzTarget> targets =
        target.equals("all") ? FuzzTargets.all() : List.of(FuzzTargets.byName(target));
    Path scratch =
        Files.createTempDirectory(
            Files.isDirectory(Path.of("/dev/shm"))
                ? Path.of("/dev/shm")
                : Path.of(System.getProperty("java.io.tmpdir")),
            "grpo4j-fuzz");
    long totalViolations = 0;
    long totalInputs = 0;
    long t0 = System.nanoTime();
    try {
      for (int ti = 0; ti < targets.size(); ti++) {
        FuzzTarget t = targets.get(ti);
        long perTarget = count / targets.size() + (ti < count % targets.size() ? 1 : 0);
        Stats s = fuzz(t, perTarget, new Random(seed * 1_000_003L + ti), scratch);
        totalViolations += s.violations;
        totalInputs += perTarget;
        System.out.printf(
            "%-20s %,10d inputs: %,9d accepted, %,9d rejected with the documented error, %d contract violations (%.1f s)%n",
            t.name(), perTarget, s.accepted, s.rejected, s.violations, s.seconds);
      }
    } finally {
      try (var w = Files.walk(scratch)) {
        for (Path p : w.sorted(java.util.Comparator.reverseOrder()).toList())
          Files.deleteIfExists(p);
      }
    }
    System.out.printf(
        "total: %,d inputs in %.1f s, %d contract violations%s%n",
        totalInputs,
        (System.nanoTime() - t0) / 1e9,
        totalViolations,
        totalViolations > 0 ? " (inputs saved under " + failures + ")" : "");
    return totalViolations == 0 ? 0 : 1;
  }

  private static final class Stats {
    long accepted;
    long rejected;
    long violations;
    double seconds;
  }

  private Stats fuzz(FuzzTarget t, long n, Random r, Path scratch) throws Exception {
    Stats s = new Stats();
    long start = System.nanoTime();
    List<String> firstMessages = new ArrayList<>();
    for (long i = 0; i < n; i++) {
      byte[] input = input(t, r);
      try {
        if (t.run(input, scratch) == FuzzTarget.Result.ACCEPTED) s.accepted++;
        else s.rejected++;
      } catch (FuzzTarget.Violation v) {
        s.violations++;
        if (s.violations <= 20) {
          Files.createDirectories(failures);
          Path f = failures.resolve(t.name() + "-" + i + ".bin");
          Files.write(f, input);
          if (firstMessages.size() < 5) {
            firstMessages.add(v.getMessage());
            System.out.println("  violation (input " + f + "): " + v.getMessage());
          }
        }
      }
    }
    s.seconds = (System.nanoTime() - start) / 1e9;
    return s;
  }

  /** 90 % mutated seeds, 5 % random bytes, 5 % random strings of the format's tokens. */
  static byte[] input(FuzzTarget t, Random r) {
    int kind = r.nextInt(20);
    if (kind == 0) {
      byte[] b = new byte[r.nextInt(257)];
      r.nextBytes(b);
      return b;
    }
    if (kind == 1) {
      java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
      int pieces = r.nextInt(40);
      for (int i = 0; i < pieces; i++) o.writeBytes(t.tokens().get(r.nextInt(t.tokens().size())));
      return o.toByteArray();
    }
    byte[] seed = t.seeds().get(r.nextInt(t.seeds().size()));
    return Mutator.apply(seed, Mutator.randomEdits(r), t.tokens(), t.seeds());
  }
}
