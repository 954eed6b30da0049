package io.grpo4j.task.countdown;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * How hard a Countdown dataset is ({@code grpo4j data stats}): its sizes, targets and reference
 * lengths, and the shortest solution the brute-force {@link CountdownSolver} finds for each
 * instance within its {@code max_steps}.
 *
 * @param instances the number of instances
 * @param distinct the number of distinct numbers+target pairs ({@link CountdownInstance#key()})
 * @param numbersPerInstance instances by their count of numbers
 * @param minTarget the smallest target
 * @param medianTarget the target at index n/2 of the sorted targets
 * @param maxTarget the largest target
 * @param referenceSteps instances with a reference solution, by its number of steps
 * @param withoutReference instances without a reference solution
 * @param shortest instances by the steps of the solver's shortest solution, or "unknown" (node
 *     budget spent) or "unsolvable" (within max_steps)
 * @param solverNodes the search nodes the solver visited, all instances together
 * @param unsolvable the ids of the unsolvable instances, in file order
 */
public record CountdownStats(
    int instances,
    int distinct,
    SortedMap<Integer, Integer> numbersPerInstance,
    long minTarget,
    long medianTarget,
    long maxTarget,
    SortedMap<Integer, Integer> referenceSteps,
    int withoutReference,
    SortedMap<String, Integer> shortest,
    long solverNodes,
    List<String> unsolvable) {

  /**
   * The statistics of a Countdown JSONL file.
   *
   * @throws IOException naming the file if it does not exist
   * @throws IllegalArgumentException naming the file (and line), if it is malformed or empty
   */
  public static CountdownStats of(Path file, CountdownSolver solver) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("no such file: " + file);
    }
    List<CountdownJsonl.Entry> entries = CountdownJsonl.read(file);
    if (entries.isEmpty()) {
      throw new IllegalArgumentException(file + ": no instances");
    }
    return of(entries, solver);
  }

  /** The statistics of some instances (at least one); the solver runs once per instance. */
  public static CountdownStats of(List<CountdownJsonl.Entry> entries, CountdownSolver solver) {
    if (entries.isEmpty()) {
      throw new IllegalArgumentException("no instances");
    }
    SortedMap<Integer, Integer> counts = new TreeMap<>();
    SortedMap<Integer, Integer> referenceSteps = new TreeMap<>();
    SortedMap<String, Integer> shortest = new TreeMap<>();
    Set<String> keys = new HashSet<>();
    List<Long> targetValues = new ArrayList<>();
    List<String> unsolvable = new ArrayList<>();
    int withoutSolution = 0;
    long nodes = 0;
    for (CountdownJsonl.Entry e : entries) {
      CountdownInstance inst = e.instance();
      keys.add(inst.key());
      counts.merge(inst.numbers().size(), 1, Integer::sum);
      targetValues.add(inst.target());
      if (inst.hasSolution()) {
        referenceSteps.merge(inst.solution().size(), 1, Integer::sum);
      } else {
        withoutSolution++;
      }
      CountdownSolver.Result r =
          solver.solveShortest(inst.numbers(), inst.target(), inst.maxSteps());
      nodes += r.nodes();
      String bucket =
          switch (r.status()) {
            case SOLVED -> Integer.toString(r.steps().size());
            case UNKNOWN -> "unknown";
            case UNSOLVABLE -> "unsolvable";
          };
      shortest.merge(bucket, 1, Integer::sum);
      if (r.status() == CountdownSolver.Status.UNSOLVABLE) {
        unsolvable.add(e.id());
      }
    }
    targetValues.sort(null);
    return new CountdownStats(
        entries.size(),
        keys.size(),
        Collections.unmodifiableSortedMap(counts),
        targetValues.get(0),
        targetValues.get(targetValues.size() / 2),
        targetValues.get(targetValues.size() - 1),
        Collections.unmodifiableSortedMap(referenceSteps),
        withoutSolution,
        Collections.unmodifiableSortedMap(shortest),
        nodes,
        List.copyOf(unsolvable));
  }

  /** The statistics as lines of text, one fact a line (the first ten unsolvable ids at most). */
  public List<String> lines() {
    List<String> w = new ArrayList<>();
    w.add("instances: " + instances + " (distinct numbers+target: " + distinct + ")");
    w.add("numbers per instance: " + histogram(numbersPerInstance));
    w.add("target: min " + minTarget + ", median " + medianTarget + ", max " + maxTarget);
    w.add(
        "reference steps: "
            + (referenceSteps.isEmpty() ? "none" : histogram(referenceSteps))
            + (withoutReference > 0 ? " (" + withoutReference + " without a reference)" : ""));
    w.add("shortest solution steps (brute force): " + histogram(shortest));
    w.add("solver nodes: " + solverNodes + " total, " + solverNodes / instances + " per instance");
    if (!unsolvable.isEmpty()) {
      w.add(
          "unsolvable within max_steps: "
              + unsolvable.size()
              + " (first: "
              + String.join(", ", unsolvable.subList(0, Math.min(10, unsolvable.size())))
              + ")");
    }
    return w;
  }

  /** {@code k1: v1, k2: v2, ...} in key order. */
  static String histogram(Map<?, Integer> counts) {
    StringBuilder sb = new StringBuilder();
    counts.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(k).append(": ").append(v));
    return sb.toString();
  }
}
