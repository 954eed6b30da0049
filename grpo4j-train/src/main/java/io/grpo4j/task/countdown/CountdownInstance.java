package io.grpo4j.task.countdown;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One Countdown problem: reach {@code target} from {@code numbers} in at most {@code maxSteps}
 * moves, each move combining two numbers of the pool into one. {@code solution} is a known correct
 * answer (empty when unknown, e.g. for instances typed in by a user); when present it is replayed
 * here, so an instance never carries a wrong reference.
 */
public record CountdownInstance(
    List<Long> numbers, long target, int maxSteps, List<Step> solution) {
  /** Fewest numbers of an instance (one move needs two). */
  public static final int MIN_NUMBERS = 2;

  /** Most numbers of an instance; the brute-force solver stays fast up to here. */
  public static final int MAX_NUMBERS = 8;

  /** Largest step budget accepted. */
  public static final int MAX_STEPS = 64;

  public CountdownInstance {
    numbers = List.copyOf(Objects.requireNonNull(numbers, "numbers"));
    solution = List.copyOf(Objects.requireNonNull(solution, "solution"));
    if (numbers.size() < MIN_NUMBERS || numbers.size() > MAX_NUMBERS) {
      throw new IllegalArgumentException(
          "numbers must hold "
              + MIN_NUMBERS
              + " to "
              + MAX_NUMBERS
              + " values, got "
              + numbers.size());
    }
    for (long n : numbers) {
      checkMagnitude("number", n);
    }
    checkMagnitude("target", target);
    if (maxSteps < 1 || maxSteps > MAX_STEPS) {
      throw new IllegalArgumentException(
          "max_steps must be in 1.." + MAX_STEPS + ", got " + maxSteps);
    }
    if (!solution.isEmpty()) {
      String problem = replayProblem(numbers, target, maxSteps, solution);
      if (problem != null) {
        throw new IllegalArgumentException("solution " + solution + " is not valid: " + problem);
      }
    }
  }

  /** An instance without a known solution. */
  public static CountdownInstance of(List<Long> numbers, long target, int maxSteps) {
    return new CountdownInstance(numbers, target, maxSteps, List.of());
  }

  private static void checkMagnitude(String what, long v) {
    if (v > Rules.MAX_BOUND || v < -Rules.MAX_BOUND) {
      throw new IllegalArgumentException(what + " " + v + " exceeds the bound " + Rules.MAX_BOUND);
    }
  }

  /** Why {@code steps} is not a solution, or null if it is one. */
  private static String replayProblem(
      List<Long> numbers, long target, int maxSteps, List<Step> steps) {
    if (steps.size() > maxSteps) {
      return steps.size() + " steps exceed max_steps " + maxSteps;
    }
    List<Long> pool = new ArrayList<>(numbers);
    for (int i = 0; i < steps.size(); i++) {
      Step s = steps.get(i);
      if (!pool.remove((Long) s.left())) {
        return "step " + (i + 1) + " uses " + s.left() + ", which is not available";
      }
      if (!pool.remove((Long) s.right())) {
        return "step " + (i + 1) + " uses " + s.right() + ", which is not available";
      }
      pool.add(s.result());
      if (s.result() == target) {
        return i == steps.size() - 1 ? null : "target reached before the last step";
      }
    }
    return "the last step does not produce " + target;
  }

  /** Whether a reference solution is known. */
  public boolean hasSolution() {
    return !solution.isEmpty();
  }

  /** The reference solution as answer text: one canonical step line each, ending with a newline. */
  public String solutionText() {
    StringBuilder sb = new StringBuilder();
    for (Step s : solution) {
      sb.append(s).append('\n');
    }
    return sb.toString();
  }

  /** The numbers in ascending order. */
  public List<Long> sortedNumbers() {
    return numbers.stream().sorted().toList();
  }

  /**
   * The identity used to deduplicate and to split train from test: the multiset of numbers and the
   * target (order of numbers, budget and solution do not make a different problem).
   */
  public String key() {
    StringBuilder sb = new StringBuilder();
    for (long n : sortedNumbers()) {
      if (!sb.isEmpty()) {
        sb.append(',');
      }
      sb.append(n);
    }
    return sb.append("->").append(target).toString();
  }

  /** A stable id derived from the content: {@code cd-} and 16 hex digits of a 64-bit hash. */
  public String id() {
    String text = key() + "/" + maxSteps;
    long h = 0xcbf29ce484222325L; // FNV-1a 64
    for (int i = 0; i < text.length(); i++) {
      h ^= text.charAt(i);
      h *= 0x100000001b3L;
    }
    return "cd-" + String.format("%016x", h);
  }
}
