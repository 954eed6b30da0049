package io.grpo4j.task.countdown;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Exhaustive search for a Countdown solution: every pair of pool numbers, every legal operation
 * (under the same {@link Rules} as the generator and the step verifier), recursively. Three
 * prunings keep six numbers fast: pairs of equal values are tried once; a move whose result equals
 * one of its operands (x*1, x/1, 2x-x) is skipped because the resulting pool is a subset of the
 * current one; and pools already shown unsolvable with at least as many steps left are remembered
 * and not searched again. A node budget bounds the work: past it the answer is {@link
 * Status#UNKNOWN}, never a wrong verdict.
 */
public final class CountdownSolver {
  /** Default node budget: about a second of search; enough to settle any 6-number instance. */
  public static final long DEFAULT_NODE_BUDGET = 20_000_000L;

  private static final int MEMO_LIMIT = 2_000_000;

  private static final Op[] MOVE_OPS = {Op.ADD, Op.MUL, Op.SUB, Op.SUB, Op.DIV, Op.DIV};

  /** Whether a search found a solution, proved there is none, or gave up at the node budget. */
  public enum Status {
    SOLVED,
    UNSOLVABLE,
    UNKNOWN
  }

  /**
   * @param status the verdict
   * @param steps a solution when {@code status} is SOLVED, else empty
   * @param nodes search nodes visited (a difficulty measure)
   */
  public record Result(Status status, List<Step> steps, long nodes) {
    public Result {
      steps = List.copyOf(steps);
    }
  }

  private final Rules rules;
  private final long nodeBudget;

  public CountdownSolver(Rules rules, long nodeBudget) {
    this.rules = Objects.requireNonNull(rules, "rules");
    if (nodeBudget < 1) {
      throw new IllegalArgumentException("node budget must be positive, got " + nodeBudget);
    }
    this.nodeBudget = nodeBudget;
  }

  /** Some solution of at most {@code maxSteps} steps (not necessarily the shortest). */
  public Result solve(List<Long> numbers, long target, int maxSteps) {
    Search search = new Search(numbers, target);
    return search.run(Math.min(maxSteps, numbers.size() - 1));
  }

  /** A shortest solution of at most {@code maxSteps} steps (iterative deepening). */
  public Result solveShortest(List<Long> numbers, long target, int maxSteps) {
    Search search = new Search(numbers, target);
    int limit = Math.min(maxSteps, numbers.size() - 1);
    Result last = new Result(Status.UNSOLVABLE, List.of(), 0);
    for (int steps = 1; steps <= limit; steps++) {
      last = search.run(steps);
      if (last.status() != Status.UNSOLVABLE) {
        return last;
      }
    }
    return last;
  }

  /**
   * Failed pools, keyed by a 64-bit hash of the sorted pool, with the most steps left they were
   * searched with (open addressing, no boxing: the memo is the solver's hot path). A hash collision
   * could hide a solution, with probability about entries^2 / 2^64 (below 1e-6 at the limit).
   */
  private static final class FailedPools {
    private long[] keys = new long[1 << 12];
    private byte[] stepsLeft = new byte[1 << 12];
    private int size;

    int get(long key) {
      int mask = keys.length - 1;
      for (int i = (int) key & mask; keys[i] != 0; i = (i + 1) & mask) {
        if (keys[i] == key) {
          return stepsLeft[i];
        }
      }
      return -1;
    }

    void putMax(long key, int steps) {
      if (size >= MEMO_LIMIT) {
        return;
      }
      if (2 * (size + 1) > keys.length) {
        grow();
      }
      int mask = keys.length - 1;
      int i = (int) key & mask;
      while (keys[i] != 0 && keys[i] != key) {
        i = (i + 1) & mask;
      }
      if (keys[i] == 0) {
        keys[i] = key;
        size++;
      }
      stepsLeft[i] = (byte) Math.max(stepsLeft[i], steps);
    }

    private void grow() {
      long[] oldKeys = keys;
      byte[] oldSteps = stepsLeft;
      keys = new long[oldKeys.length * 2];
      stepsLeft = new byte[oldKeys.length * 2];
      int mask = keys.length - 1;
      for (int j = 0; j < oldKeys.length; j++) {
        if (oldKeys[j] != 0) {
          int i = (int) oldKeys[j] & mask;
          while (keys[i] != 0) {
            i = (i + 1) & mask;
          }
          keys[i] = oldKeys[j];
          stepsLeft[i] = oldSteps[j];
        }
      }
    }

    static long hash(long[] pool) {
      long h = 0x243F6A8885A308D3L;
      for (long v : pool) {
        h = (h ^ mix(v)) * 0x9E3779B97F4A7C15L;
      }
      h = mix(h ^ pool.length);
      return h == 0 ? 1 : h;
    }

    private static long mix(long z) { // SplitMix64 finalizer
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      return z ^ (z >>> 31);
    }
  }

  /** One search over a fixed (numbers, target); the memo is shared by deepening rounds. */
  private final class Search {
    private final long[] start;
    private final long target;
    private final FailedPools failed = new FailedPools();
    private final Step[] path;
    private long nodes;
    private boolean outOfBudget;

    Search(List<Long> numbers, long target) {
      this.start = numbers.stream().mapToLong(Long::longValue).sorted().toArray();
      this.target = target;
      this.path = new Step[Math.max(1, start.length)];
    }

    Result run(int maxSteps) {
      if (maxSteps < 1 || start.length < 2) {
        return new Result(Status.UNSOLVABLE, List.of(), nodes);
      }
      outOfBudget = false;
      int found = dfs(start, maxSteps, 0);
      if (found >= 0) {
        return new Result(Status.SOLVED, List.of(Arrays.copyOf(path, found)), nodes);
      }
      return new Result(outOfBudget ? Status.UNKNOWN : Status.UNSOLVABLE, List.of(), nodes);
    }

    /** Returns the solution length when found (path[0..len) holds it), else -1. */
    private int dfs(long[] pool, int stepsLeft, int depth) {
      if (++nodes > nodeBudget) {
        outOfBudget = true;
        return -1;
      }
      boolean memoize = pool.length >= 3 && stepsLeft >= 2;
      long key = memoize ? FailedPools.hash(pool) : 0;
      if (memoize && failed.get(key) >= stepsLeft) {
        return -1;
      }
      int n = pool.length;
      long[] next = new long[n - 1];
      for (int i = 0; i < n; i++) {
        if (i > 0 && pool[i] == pool[i - 1]) {
          continue;
        }
        for (int j = i + 1; j < n; j++) {
          if (j > i + 1 && pool[j] == pool[j - 1]) {
            continue;
          }
          long a = pool[i];
          long b = pool[j]; // a <= b
          for (int m = 0; m < 6; m++) {
            // b+a, b*a, b-a, a-b, b/a, a/b: every distinct move on the pair.
            Op op = MOVE_OPS[m];
            boolean smallerFirst = m == 3 || m == 5;
            long left = smallerFirst ? a : b;
            long right = smallerFirst ? b : a;
            long r = rules.apply(left, op, right);
            if (r == Long.MIN_VALUE) {
              continue;
            }
            if (r == target) {
              path[depth] = new Step(left, op, right, r);
              return depth + 1;
            }
            if (stepsLeft == 1 || n == 2 || r == a || r == b) {
              continue;
            }
            fillWithout(pool, i, j, r, next);
            int found = dfs(next, stepsLeft - 1, depth + 1);
            if (found >= 0) {
              path[depth] = new Step(left, op, right, r);
              return found;
            }
            if (outOfBudget) {
              return -1;
            }
          }
        }
      }
      if (memoize) {
        failed.putMax(key, stepsLeft);
      }
      return -1;
    }

    /** Writes pool without positions i and j, plus r, in ascending order, into out. */
    private static void fillWithout(long[] pool, int i, int j, long r, long[] out) {
      int k = 0;
      boolean placed = false;
      for (int p = 0; p < pool.length; p++) {
        if (p == i || p == j) {
          continue;
        }
        if (!placed && r <= pool[p]) {
          out[k++] = r;
          placed = true;
        }
        out[k++] = pool[p];
      }
      if (!placed) {
        out[k] = r;
      }
    }
  }
}
