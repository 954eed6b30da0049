package io.grpo4j.task.countdown;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether a pool of numbers can still produce a target within a number of steps: the brute-force
 * {@link CountdownSolver}, memoised on (sorted pool, target, steps left). The step verifier asks it
 * at every token boundary of every completion, and a group of G completions of one prompt asks the
 * same few pools again and again, so nearly every query after the first few is a hash lookup.
 *
 * <p>A search that runs out of its node budget counts as reachable: a dead end is only ever
 * declared when the solver has proved it. Thread-safe; the memo is dropped when it reaches {@link
 * #MEMO_LIMIT} entries (it is a cache, not state).
 */
public final class Reachability {
  /** Most remembered pools before the memo is cleared. */
  public static final int MEMO_LIMIT = 200_000;

  /** Node budget per query: a few milliseconds at most, far more than 8 numbers need. */
  static final long NODE_BUDGET = 2_000_000L;

  private final CountdownSolver solver;
  private final Map<Key, Boolean> memo = new ConcurrentHashMap<>();

  public Reachability(Rules rules) {
    this.solver = new CountdownSolver(Objects.requireNonNull(rules, "rules"), NODE_BUDGET);
  }

  private record Key(long target, int stepsLeft, String pool) {}

  /**
   * Whether some sequence of at most {@code stepsLeft} moves on {@code pool[0..size)} has a move
   * whose result is {@code target} (a number merely present in the pool does not count: the game is
   * won by a step that produces the target).
   */
  public boolean reachable(long[] pool, int size, long target, int stepsLeft) {
    if (stepsLeft <= 0 || size < 2) return false;
    long[] sorted = Arrays.copyOf(pool, size);
    Arrays.sort(sorted);
    Key key = new Key(target, Math.min(stepsLeft, size - 1), Arrays.toString(sorted));
    Boolean known = memo.get(key);
    if (known != null) return known;
    CountdownSolver.Result r =
        solver.solve(Arrays.stream(sorted).boxed().toList(), target, key.stepsLeft());
    boolean yes = r.status() != CountdownSolver.Status.UNSOLVABLE;
    if (memo.size() >= MEMO_LIMIT) memo.clear();
    memo.put(key, yes);
    return yes;
  }
}
