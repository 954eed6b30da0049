package io.grpo4j.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Long-running fuzzing of the file parsers ({@link FuzzTargets}); the test suite runs the same
 * targets for a few hundred inputs each. Inputs are valid seeds damaged by 1–8 random {@link
 * Mutator} edits, plus pure random bytes; the run is reproducible from the seed. Inputs that break
 * a contract are saved to the failures folder (the first 20 per target).
 *
 * @param failures folder for inputs that break a contract
 * @param out where the per-target summary lines go
 */
public record Fuzzer(Path failures, PrintStream out) {

  /** Outcome counts of one target. */
  public record Stats(long accepted, long rejected, long violations, double seconds) {}

  /**
   * Fuzzes the named target ({@code all} for every one of {@link FuzzTargets#all()}) with {@code
   * count} inputs in total, split evenly; target {@code i} draws from {@code new Random(seed *
   * 1_000_003 + i)}.
   *
   * @throws IllegalArgumentException for an unknown target name
   * @return the number of contract violations (0 = all inputs accepted or rejected as documented)
   */
  public long run(String target, long count, long seed) throws IOException {
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
        totalViolations += s.violations();
        totalInputs += perTarget;
        out.printf(
            "%-20s %,10d inputs: %,9d accepted, %,9d rejected with the documented error, %d contract violations (%.1f s)%n",
            t.name(), perTarget, s.accepted(), s.rejected(), s.violations(), s.seconds());
      }
    } finally {
      try (var w = Files.walk(scratch)) {
        for (Path p : w.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
      }
    }
    out.printf(
        "total: %,d inputs in %.1f s, %d contract violations%s%n",
        totalInputs,
        (System.nanoTime() - t0) / 1e9,
        totalViolations,
        totalViolations > 0 ? " (inputs saved under " + failures + ")" : "");
    return totalViolations;
  }

  private Stats fuzz(FuzzTarget t, long n, Random r, Path scratch) throws IOException {
    long accepted = 0;
    long rejected = 0;
    long violations = 0;
    long start = System.nanoTime();
    for (long i = 0; i < n; i++) {
      byte[] input = input(t, r);
      try {
        if (t.run(input, scratch) == FuzzTarget.Result.ACCEPTED) accepted++;
        else rejected++;
      } catch (FuzzTarget.Violation v) {
        violations++;
        if (violations <= 20) {
          Files.createDirectories(failures);
          Path f = failures.resolve(t.name() + "-" + i + ".bin");
          Files.write(f, input);
          if (violations <= 5) out.println("  violation (input " + f + "): " + v.getMessage());
        }
      }
    }
    return new Stats(accepted, rejected, violations, (System.nanoTime() - start) / 1e9);
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
      ByteArrayOutputStream o = new ByteArrayOutputStream();
      int pieces = r.nextInt(40);
      for (int i = 0; i < pieces; i++) o.writeBytes(t.tokens().get(r.nextInt(t.tokens().size())));
      return o.toByteArray();
    }
    byte[] seed = t.seeds().get(r.nextInt(t.seeds().size()));
    return Mutator.apply(seed, Mutator.randomEdits(r), t.tokens(), t.seeds());
  }
}
