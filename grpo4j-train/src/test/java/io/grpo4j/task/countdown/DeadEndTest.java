package io.grpo4j.task.countdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.grpo4j.task.PrefixScore;
import io.grpo4j.task.Problem;
import io.grpo4j.task.TokenRewards;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Dead-end scoring of the steps verifier, against a plain recursive reference search. */
class DeadEndTest {
  final StepsVerifier v = new StepsVerifier(CountdownRewards.DEFAULTS, Rules.DEFAULT);

  static Problem<CountdownInstance> problem(long target, int maxSteps, Long... numbers) {
    return CountdownTask.problem(CountdownInstance.of(List.of(numbers), target, maxSteps));
  }

  /** The example: 44 from 10 17 17; 17-10=7 leaves 7 17, which cannot make 44. */
  static final Problem<CountdownInstance> P44 = problem(44, 6, 10L, 17L, 17L);

  @Test
  void aLegalMoveThatLosesIsBlamedOnItsOperator() {
    assertThat(v.score(P44, "17").value()).isZero(); // 17+10=27 still wins (27+17)
    assertThat(v.score(P44, "17").complete()).isFalse();
    PrefixScore dead = v.score(P44, "17-");
    assertThat(dead.value()).isCloseTo(-0.2, within(1e-12));
    assertThat(dead.complete()).isTrue();
    assertThat(dead.reason())
        .isEqualTo("line 1: dead end: no move beginning '17-' wins or keeps 44 reachable");
    // the completed line and the whole answer agree with the prefix
    assertThat(v.score(P44, "17-10=7\n").value()).isCloseTo(-0.2, within(1e-12));
    assertThat(v.outcome(P44, "17-10=7\n17*7=44").reward()).isCloseTo(-0.2, within(1e-12));
    assertThat(v.outcome(P44, "17-10=7").reason())
        .isEqualTo("line 1: dead end: after 17-10=7, 44 cannot be reached any more");
    // a winning line keeps its step credit and the answer still succeeds
    assertThat(v.score(P44, "17+10=27\n").value()).isCloseTo(0.1, within(1e-12));
    assertThat(v.outcome(P44, "17+10=27\n27+17=44\n").success()).isTrue();
    // plain step checking (dead_ends off) gives the old credit for the legal first line
    StepsVerifier plain =
        new StepsVerifier(CountdownRewards.fromMap(Map.of("dead_ends", false)), Rules.DEFAULT);
    assertThat(plain.score(P44, "17-10=7\n").value()).isCloseTo(0.1, within(1e-12));
  }

  @Test
  void tokenRewardsPutTheWholePenaltyOnTheDecidingTokenAndSumToTheOutcome() {
    String answer = "17-10=7\n17*7=44";
    List<byte[]> tokens = new ArrayList<>();
    for (char c : answer.toCharArray())
      tokens.add(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
    tokens.add(new byte[0]); // stop token
    double[] r = TokenRewards.fromPrefixScores(v, P44, tokens, true);
    for (int t = 0; t < r.length; t++) {
      assertThat(r[t]).as("token %d", t).isCloseTo(t == 2 ? -0.2 : 0.0, within(1e-12));
    }
    double sum = 0;
    for (double x : r) sum += x;
    assertThat(sum).isCloseTo(v.outcome(P44, answer).reward(), within(1e-12));
  }

  @Test
  void theLastAllowedStepMustReachTheTarget() {
    // 3 numbers, 2 steps: a second line that misses the target is a dead end
    Problem<CountdownInstance> p = problem(56, 6, 3L, 5L, 7L);
    assertThat(v.score(p, "3+5=8\n8+").value()).isCloseTo(-0.1, within(1e-12));
    assertThat(v.score(p, "3+5=8\n8*").value()).isCloseTo(0.1, within(1e-12));
    // a step budget of 1 on an instance that needs 2: nothing to blame, no dead ends at all
    Problem<CountdownInstance> tight = problem(56, 1, 3L, 5L, 7L);
    assertThat(v.outcome(tight, "3+5=8").reward()).isCloseTo(0.1, within(1e-12));
  }

  @Test
  void unsolvableStartsAreNeverBlamed() {
    Problem<CountdownInstance> p = problem(97, 6, 1L, 1L, 2L);
    assertThat(v.outcome(p, "1+1=2\n2*2=4\n").reward()).isCloseTo(0.2, within(1e-12));
  }

  /**
   * Every prefix of every legal first line of a few instances: dead exactly when no legal move
   * whose canonical line starts with the prefix produces the target or leaves a pool the reference
   * search can finish from (string prefixes against the verifier's parser; a plain recursion
   * against the memoised solver).
   */
  @Test
  void agreesWithABruteForceReferenceOnEveryPrefixOfEveryFirstLine() {
    List<Problem<CountdownInstance>> problems =
        List.of(
            P44,
            problem(56, 6, 3L, 5L, 7L),
            problem(24, 6, 2L, 3L, 4L, 6L),
            problem(100, 6, 1L, 9L, 11L, 13L),
            problem(12, 2, 2L, 2L, 3L, 9L));
    int checked = 0;
    int dead = 0;
    for (Problem<CountdownInstance> p : problems) {
      CountdownInstance inst = p.data();
      List<String> lines = legalLines(inst.numbers());
      for (String line : lines) {
        for (int k = 1; k <= line.length(); k++) {
          String prefix = line.substring(0, k);
          boolean expectDead = true;
          for (String other : lines) {
            if (other.startsWith(prefix) && wins(other, inst)) {
              expectDead = false;
              break;
            }
          }
          PrefixScore s = v.score(p, prefix);
          boolean isDead = s.complete() && s.value() < 0;
          assertThat(isDead)
              .as("%s from %s: '%s' (%s)", inst.target(), inst.numbers(), prefix, s.reason())
              .isEqualTo(expectDead);
          checked++;
          if (isDead) dead++;
        }
      }
    }
    assertThat(checked).isGreaterThan(500);
    assertThat(dead).isGreaterThan(50).isLessThan(checked);
  }

  /** Canonical lines of every legal first move, "a op b=r". */
  private static List<String> legalLines(List<Long> numbers) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < numbers.size(); i++) {
      for (int j = 0; j < numbers.size(); j++) {
        if (i == j) continue;
        for (Op op : Op.values()) {
          long r = Rules.DEFAULT.apply(numbers.get(i), op, numbers.get(j));
          if (r != Long.MIN_VALUE)
            out.add(numbers.get(i) + "" + op.symbol() + numbers.get(j) + "=" + r);
        }
      }
    }
    return out;
  }

  /** Whether the first line hits the target or leaves a pool the reference can finish. */
  private static boolean wins(String line, CountdownInstance inst) {
    String[] parts = line.split("[-+*/=]");
    long a = Long.parseLong(parts[0]);
    long b = Long.parseLong(parts[1]);
    long r = Long.parseLong(parts[2]);
    if (r == inst.target()) return true;
    List<Long> pool = new ArrayList<>(inst.numbers());
    pool.remove((Long) a);
    pool.remove((Long) b);
    pool.add(r);
    return reference(pool, inst.target(), inst.maxSteps() - 1);
  }

  /** Plain recursion, no memo, no pruning. */
  private static boolean reference(List<Long> pool, long target, int steps) {
    if (steps <= 0) return false;
    for (int i = 0; i < pool.size(); i++) {
      for (int j = 0; j < pool.size(); j++) {
        if (i == j) continue;
        for (Op op : Op.values()) {
          long r = Rules.DEFAULT.apply(pool.get(i), op, pool.get(j));
          if (r == Long.MIN_VALUE) continue;
          if (r == target) return true;
          List<Long> next = new ArrayList<>();
          for (int k = 0; k < pool.size(); k++) if (k != i && k != j) next.add(pool.get(k));
          next.add(r);
          if (reference(next, target, steps - 1)) return true;
        }
      }
    }
    return false;
  }
}
