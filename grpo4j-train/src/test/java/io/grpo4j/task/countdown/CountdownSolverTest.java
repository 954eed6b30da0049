package io.grpo4j.task.countdown;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CountdownSolverTest {
  final CountdownSolver solver =
      new CountdownSolver(Rules.DEFAULT, CountdownSolver.DEFAULT_NODE_BUDGET);

  /**
   * Replays steps by hand: each operand taken from the pool, result put back, last result = target.
   */
  static boolean isSolution(
      List<Long> numbers, long target, int maxSteps, List<Step> steps, Rules rules) {
    if (steps.isEmpty() || steps.size() > maxSteps) {
      return false;
    }
    List<Long> pool = new ArrayList<>(numbers);
    for (Step s : steps) {
      if (!pool.remove((Long) s.left()) || !pool.remove((Long) s.right())) {
        return false;
      }
      if (rules.apply(s.left(), s.op(), s.right()) != s.result()) {
        return false;
      }
      pool.add(s.result());
    }
    return steps.get(steps.size() - 1).result() == target;
  }

  @Test
  void handWorkedInstances() {
    // 56 = (3 + 5) * 7, two steps, and no single step reaches it
    CountdownSolver.Result r = solver.solveShortest(List.of(3L, 5L, 7L), 56, 6);
    assertThat(r.status()).isEqualTo(CountdownSolver.Status.SOLVED);
    assertThat(r.steps()).hasSize(2);
    assertThat(isSolution(List.of(3L, 5L, 7L), 56, 6, r.steps(), Rules.DEFAULT)).isTrue();
    assertThat(solver.solve(List.of(3L, 5L, 7L), 56, 1).status())
        .isEqualTo(CountdownSolver.Status.UNSOLVABLE);
    // 3 5 7 cannot make 1000 (largest reachable is 3*5*7 = 105)
    assertThat(solver.solve(List.of(3L, 5L, 7L), 1000, 6).status())
        .isEqualTo(CountdownSolver.Status.UNSOLVABLE);
    // division only when exact: 7 / 2 is not allowed, so 2 7 cannot make 3 (7-2=5, 7+2=9, 14)
    assertThat(solver.solve(List.of(2L, 7L), 3, 6).status())
        .isEqualTo(CountdownSolver.Status.UNSOLVABLE);
    // negative results only when allowed: 2 - 7 = -5
    assertThat(solver.solve(List.of(2L, 7L), -5, 6).status())
        .isEqualTo(CountdownSolver.Status.UNSOLVABLE);
    assertThat(
            new CountdownSolver(
                    new Rules(true, false, Rules.DEFAULT_BOUND),
                    CountdownSolver.DEFAULT_NODE_BUDGET)
                .solve(List.of(2L, 7L), -5, 6)
                .status())
        .isEqualTo(CountdownSolver.Status.SOLVED);
    // the classic TV example: 25 50 75 100 3 6 -> 952
    List<Long> tv = List.of(25L, 50L, 75L, 100L, 3L, 6L);
    CountdownSolver.Result classic = solver.solve(tv, 952, 5);
    assertThat(classic.status()).isEqualTo(CountdownSolver.Status.SOLVED);
    assertThat(isSolution(tv, 952, 5, classic.steps(), Rules.DEFAULT)).isTrue();
  }

  @Test
  void sixNumbersAreDecidedWithinTheNodeBudgetEvenWhenUnsolvable() {
    assertThat(solver.solve(List.of(2L, 3L, 5L, 7L, 11L, 13L), 99991, 5).status())
        .isEqualTo(CountdownSolver.Status.UNSOLVABLE);
    assertThat(solver.solve(List.of(3L, 7L, 11L, 13L, 17L, 19L), 997, 5).status())
        .isEqualTo(CountdownSolver.Status.SOLVED);
  }

  @Test
  void nodeBudgetGivesUnknownNotAWrongVerdict() {
    CountdownSolver tiny = new CountdownSolver(Rules.DEFAULT, 100);
    CountdownSolver.Result r = tiny.solve(List.of(2L, 3L, 5L, 7L, 11L, 13L), 99991, 5);
    assertThat(r.status()).isEqualTo(CountdownSolver.Status.UNKNOWN);
  }

  /**
   * Independent reference: plain recursion over ordered pairs and all four operations, no pruning.
   */
  static int naiveShortest(List<Long> pool, long target, int stepsLeft, Rules rules) {
    if (stepsLeft == 0 || pool.size() < 2) {
      return -1;
    }
    int best = -1;
    for (int i = 0; i < pool.size(); i++) {
      for (int j = 0; j < pool.size(); j++) {
        if (i == j) {
          continue;
        }
        for (Op op : Op.values()) {
          long r = rules.apply(pool.get(i), op, pool.get(j));
          if (r == Long.MIN_VALUE) {
            continue;
          }
          if (r == target) {
            return 1;
          }
          List<Long> next = new ArrayList<>(pool);
          next.remove(Math.max(i, j));
          next.remove(Math.min(i, j));
          next.add(r);
          int sub = naiveShortest(next, target, stepsLeft - 1, rules);
          if (sub > 0 && (best < 0 || sub + 1 < best)) {
            best = sub + 1;
          }
        }
      }
    }
    return best;
  }

  @Test
  void agreesWithANaiveSearchOnRandomSmallInstances() {
    Random rnd = new Random(7);
    int solvable = 0;
    for (int trial = 0; trial < 300; trial++) {
      Rules rules = new Rules(rnd.nextBoolean(), rnd.nextBoolean(), Rules.DEFAULT_BOUND);
      int count = 2 + rnd.nextInt(3);
      List<Long> numbers = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        numbers.add((long) 1 + rnd.nextInt(12));
      }
      long target = rnd.nextInt(120) - (rules.allowNegative() ? 20 : 0);
      int maxSteps = 1 + rnd.nextInt(3);
      int expected = naiveShortest(numbers, target, maxSteps, rules);
      CountdownSolver.Result r =
          new CountdownSolver(rules, CountdownSolver.DEFAULT_NODE_BUDGET)
              .solveShortest(numbers, target, maxSteps);
      String what = numbers + " -> " + target + " in " + maxSteps + " " + rules;
      if (expected < 0) {
        assertThat(r.status()).as(what).isEqualTo(CountdownSolver.Status.UNSOLVABLE);
      } else {
        solvable++;
        assertThat(r.status()).as(what).isEqualTo(CountdownSolver.Status.SOLVED);
        assertThat(r.steps()).as(what).hasSize(expected);
        assertThat(isSolution(numbers, target, maxSteps, r.steps(), rules)).as(what).isTrue();
      }
    }
    assertThat(solvable).isBetween(30, 270);
  }
}
