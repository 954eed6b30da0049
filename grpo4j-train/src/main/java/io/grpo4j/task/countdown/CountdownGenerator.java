package io.grpo4j.task.countdown;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Makes solvable instances by playing the game at random, as the seed recipe describes: draw the
 * numbers, repeatedly combine two pool numbers with a legal operation (chosen uniformly among all
 * legal moves) and put the result back; the last result is the target and the moves are the
 * reference solution. Instances whose target is out of range, is one of the starting numbers, or
 * appears before the last step are rejected and drawn again.
 *
 * <p>Everything is driven by a {@link SplittableRandom} seeded by the caller, whose algorithm is
 * fixed by the JDK specification: the same seed gives the same instances on every machine.
 */
public final class CountdownGenerator {
  /** Random plays tried for one instance before the settings are declared too narrow. */
  static final int MAX_ATTEMPTS = 100_000;

  private final CountdownSettings settings;
  private final Rules rules;
  private final int[] feasibleCounts;

  public CountdownGenerator(CountdownSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.rules = settings.rules();
    this.feasibleCounts =
        java.util.stream.IntStream.rangeClosed(settings.minNumbers(), settings.maxNumbers())
            .filter(
                k ->
                    CountdownSettings.feasibleCount(
                        k, settings.minSteps(), settings.maxSteps(), settings.useAllNumbers()))
            .toArray();
  }

  /**
   * A train/test split of distinct instances; no instance {@link CountdownInstance#key() key} is in
   * both.
   */
  public record Dataset(List<CountdownInstance> train, List<CountdownInstance> test) {
    public Dataset {
      train = List.copyOf(train);
      test = List.copyOf(test);
    }
  }

  /**
   * {@code n} distinct instances (by {@link CountdownInstance#key()}), the last {@code round(n *
   * testFraction)} of them held out as the test split.
   *
   * @throws IllegalArgumentException if the settings do not allow {@code n} distinct instances
   */
  public Dataset dataset(long seed, int n, double testFraction) {
    if (n < 1) {
      throw new IllegalArgumentException("--n must be at least 1, got " + n);
    }
    if (!(testFraction >= 0 && testFraction < 1)) {
      throw new IllegalArgumentException("--test-fraction must be in [0, 1), got " + testFraction);
    }
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, CountdownInstance> unique = new LinkedHashMap<>();
    long draws = 0;
    long maxDraws = 50L * n + 1000;
    while (unique.size() < n) {
      if (draws++ >= maxDraws) {
        throw new IllegalArgumentException(
            "only "
                + unique.size()
                + " distinct instances found in "
                + maxDraws
                + " draws; widen the number/target ranges or ask for fewer than "
                + n);
      }
      CountdownInstance inst = next(random);
      unique.putIfAbsent(inst.key(), inst);
    }
    List<CountdownInstance> all = new ArrayList<>(unique.values());
    int testCount = (int) Math.round(n * testFraction);
    return new Dataset(all.subList(0, n - testCount), all.subList(n - testCount, n));
  }

  /** {@code n} fresh instances drawn from {@code seed}. Repeats are possible. */
  public List<CountdownInstance> draw(long seed, int n) {
    if (n < 0) {
      throw new IllegalArgumentException("cannot draw a negative number of problems: " + n);
    }
    SplittableRandom random = new SplittableRandom(seed);
    List<CountdownInstance> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) out.add(next(random));
    return out;
  }

  /** One random solvable instance (the generator's unit of work). */
  public CountdownInstance next(SplittableRandom random) {
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      CountdownInstance inst = tryPlay(random);
      if (inst != null) {
        return inst;
      }
    }
    throw new IllegalArgumentException(
        "countdown settings too narrow: no instance with target in "
            + settings.minTarget()
            + ".."
            + settings.maxTarget()
            + " found in "
            + MAX_ATTEMPTS
            + " random plays ("
            + settings
            + ")");
  }

  private CountdownInstance tryPlay(SplittableRandom random) {
    int count = feasibleCounts[random.nextInt(feasibleCounts.length)];
    int stepCount =
        settings.useAllNumbers()
            ? count - 1
            : random.nextInt(settings.minSteps(), Math.min(settings.maxSteps(), count - 1) + 1);
    List<Long> numbers = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      numbers.add(random.nextLong(settings.minValue(), settings.maxValue() + 1));
    }
    // Pool entries: value and the step that produced it (-1 for a starting number).
    List<long[]> pool = new ArrayList<>();
    for (long v : numbers) {
      pool.add(new long[] {v, -1});
    }
    List<Step> steps = new ArrayList<>(stepCount);
    int[][] operandOrigins = new int[stepCount][];
    List<long[]> moves = new ArrayList<>();
    for (int s = 0; s < stepCount; s++) {
      moves.clear();
      for (int i = 0; i < pool.size(); i++) {
        for (int j = 0; j < pool.size(); j++) {
          if (i == j) {
            continue;
          }
          long a = pool.get(i)[0];
          long b = pool.get(j)[0];
          for (Op op : Op.values()) {
            boolean commutative = op == Op.ADD || op == Op.MUL;
            // Commutative moves once per pair, written larger operand first.
            if (commutative && (a < b || (a == b && i > j))) {
              continue;
            }
            long r = rules.apply(a, op, b);
            if (r != Long.MIN_VALUE) {
              moves.add(new long[] {i, op.ordinal(), j, r});
            }
          }
        }
      }
      if (moves.isEmpty()) {
        return null;
      }
      long[] move = moves.get(random.nextInt(moves.size()));
      int i = (int) move[0];
      int j = (int) move[2];
      long[] left = pool.get(i);
      long[] right = pool.get(j);
      steps.add(new Step(left[0], Op.values()[(int) move[1]], right[0], move[3]));
      operandOrigins[s] = new int[] {(int) left[1], (int) right[1]};
      pool.remove(Math.max(i, j));
      pool.remove(Math.min(i, j));
      pool.add(new long[] {move[3], s});
    }
    long target = steps.get(stepCount - 1).result();
    if (target < settings.minTarget()
        || target > settings.maxTarget()
        || numbers.contains(target)) {
      return null;
    }
    List<Step> solution = neededSteps(steps, operandOrigins);
    if (solution.size() < settings.minSteps()) {
      return null;
    }
    for (int s = 0; s < solution.size() - 1; s++) {
      if (solution.get(s).result() == target) {
        return null; // the target would be reached early; keep references minimal and clean
      }
    }
    return new CountdownInstance(numbers, target, settings.maxSteps(), solution);
  }

  /** The steps the last step depends on, in order (random play may make dangling moves). */
  private static List<Step> neededSteps(List<Step> steps, int[][] operandOrigins) {
    boolean[] needed = new boolean[steps.size()];
    needed[steps.size() - 1] = true;
    for (int s = steps.size() - 1; s >= 0; s--) {
      if (needed[s]) {
        for (int origin : operandOrigins[s]) {
          if (origin >= 0) {
            needed[origin] = true;
          }
        }
      }
    }
    List<Step> out = new ArrayList<>();
    for (int s = 0; s < steps.size(); s++) {
      if (needed[s]) {
        out.add(steps.get(s));
      }
    }
    return out;
  }
}
