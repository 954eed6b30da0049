package io.grpo4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The segment credit of the TREE and MC_PREFIX modes, the validator fallback and the top-entropy
 * mask: hand-computed trees (fractions in the comments), the exactness of a one-level tree against
 * SEQUENCE, and the telescoping sum on random trees.
 */
class SegmentCreditTest {
  static final double EPS = 1e-12;

  private static Advantages adv(AdvantageMode mode, double clip, double mu, double fallback) {
    return new Advantages(mode, clip, true, EPS, mu, 0, 0, 0, fallback);
  }

  private static Tensor starts(long[][] rows) {
    return T.ids(rows);
  }

  private static Tensor vec(double... v) {
    return Tensor.create(v, v.length);
  }

  @Test
  void treeValuesAreTheMeanLeafRewardUnderEachNode() {
    try (var scope = new PointerScope()) {
      // widths [2, 2, 2]: nodes at depth 1 hold 4 leaves, at depth 2 two
      Tensor r = vec(1, 0, 0, 0, 1, 1, 0, 1);
      double[][] v = T.rows(TokenCredit.treeValues(r, new int[] {2, 2, 2}));
      double[][] want = {
        {0.25, 0.5},
        {0.25, 0.5},
        {0.25, 0},
        {0.25, 0},
        {0.75, 1},
        {0.75, 1},
        {0.75, 0.5},
        {0.75, 0.5}
      };
      for (int i = 0; i < 8; i++) assertThat(v[i]).containsExactly(want[i], within(1e-12));
      assertThat(TokenCredit.treeValues(r, new int[] {8}).size(1)).isZero();
    }
  }

  /**
   * widths [2, 2], 4 tokens per leaf, branching after token 2: R = (1, 0, 0, 0), mean 1/4, sample
   * std 1/2; the left node's value is 1/2, the right one's 0.
   */
  @Test
  void treeCreditIsTheValueChangeOfEachSegmentOverSigma() {
    try (var scope = new PointerScope()) {
      double[][] rewards = {{0, 0, 0, 1}, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}};
      double[][] mask = {{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}};
      Segments seg = Segments.tree(starts(new long[][] {{2}, {2}, {2}, {2}}), new int[] {2, 2});
      // segment 1: V(node) − 1/4 = ±1/4 → ±1/2; segment 2: R − V(node) = ±1/2 → ±1; 0 on the right
      var r =
          adv(AdvantageMode.TREE, Double.POSITIVE_INFINITY, 0, 0)
              .compute(T.of(rewards), T.of(mask), null, null, 4, seg, null);
      T.assertRows(
          r.advantages(),
          new double[][] {
            {0.5, 0.5, 1, 1}, {0.5, 0.5, -1, -1}, {-0.5, -0.5, 0, 0}, {-0.5, -0.5, 0, 0}
          });
      // with μ = 1 the z-score of the whole completion is added, (R − 1/4)/(1/2) = 3/2 or −1/2;
      // never clipped, whatever rl.advantage.clip says (it bounds the token-reward modes)
      var mixed =
          adv(AdvantageMode.TREE, 1.0, 1.0, 0)
              .compute(T.of(rewards), T.of(mask), null, null, 4, seg, null);
      T.assertRows(
          mixed.advantages(),
          new double[][] {
            {2, 2, 2.5, 2.5}, {0, 0, -1.5, -1.5}, {-1, -1, -0.5, -0.5}, {-1, -1, -0.5, -0.5}
          });
    }
  }

  /**
   * A leaf that stopped before the tree branched again fills its node with copies: widths [2, 2],
   * the right node's completion ended after 2 tokens (rows 2 and 3, starts at its length 2).
   */
  @Test
  void anEarlyFinishedLeafCountsWithTheWeightOfItsNode() {
    try (var scope = new PointerScope()) {
      double[][] rewards = {{0, 0, 0, 0}, {0, 0, 0, 0}, {0, 1, 0, 0}, {0, 1, 0, 0}};
      double[][] mask = {{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 0, 0}, {1, 1, 0, 0}};
      Segments seg = Segments.tree(starts(new long[][] {{2}, {2}, {2}, {2}}), new int[] {2, 2});
      // R = (0, 0, 1, 1): mean 1/2, σ = √(1/3); V(left) = 0, V(right) = 1
      double z = 0.5 / Math.sqrt(1.0 / 3);
      var r =
          adv(AdvantageMode.TREE, Double.POSITIVE_INFINITY, 0, 0)
              .compute(T.of(rewards), T.of(mask), null, null, 4, seg, null);
      T.assertRows(
          r.advantages(),
          new double[][] {{-z, -z, 0, 0}, {-z, -z, 0, 0}, {z, z, 0, 0}, {z, z, 0, 0}});
    }
  }

  /**
   * A tree that branches only at the root, widths [G], is standard GRPO to the last bit (with the
   * default clip c = 1, which SEQUENCE and TREE both ignore).
   */
  @Test
  void aOneLevelTreeEqualsSequence() {
    Random rnd = new Random(3);
    for (int trial = 0; trial < 10; trial++) {
      try (var scope = new PointerScope()) {
        int g = 2 + rnd.nextInt(7), groups = 1 + rnd.nextInt(3), t = 1 + rnd.nextInt(6);
        int b = g * groups;
        double[][] rewards = new double[b][t], mask = new double[b][t];
        for (int i = 0; i < b; i++) {
          int len = 1 + rnd.nextInt(t);
          for (int k = 0; k < t; k++) {
            mask[i][k] = k < len ? 1 : 0;
            rewards[i][k] = rnd.nextInt(4) * 0.1 - 0.1;
          }
        }
        Segments seg = Segments.tree(starts(new long[b][0]), new int[] {g});
        Tensor tree =
            adv(AdvantageMode.TREE, 1.0, 0, 0)
                .compute(T.of(rewards), T.of(mask), null, null, g, seg, null)
                .advantages();
        Tensor seq =
            adv(AdvantageMode.SEQUENCE, 1.0, 0, 0)
                .compute(T.of(rewards), T.of(mask), null, null, g)
                .advantages();
        T.assertRows(tree, T.rows(seq));
      }
    }
  }

  /**
   * On random trees of random shapes, the credits of the segments along every leaf's path add up to
   * its sequence advantage (R_i − mean R)/σ, and each segment's credit is the value change a direct
   * count of the leaves gives.
   */
  @Test
  void treeCreditTelescopesOnRandomTrees() {
    Random rnd = new Random(11);
    for (int trial = 0; trial < 20; trial++) {
      try (var scope = new PointerScope()) {
        int d = 1 + rnd.nextInt(3);
        int[] widths = new int[d];
        int g = 1;
        for (int k = 0; k < d; k++) g *= widths[k] = 1 + rnd.nextInt(3);
        if (g < 2) continue;
        int groups = 1 + rnd.nextInt(2), t = 3 * d + 1, b = g * groups;
        double[][] rewards = new double[b][t], mask = new double[b][t];
        long[][] st = new long[b][d - 1];
        double[] r = new double[b];
        for (int first = 0; first < b; first += g) {
          int child = g / widths[0]; // the root branches at once
          for (int c = 0; c < widths[0]; c++) {
            grow(rnd, widths, 1, first + c * child, child, 0, st, r);
          }
        }
        for (int i = 0; i < b; i++) {
          int len = lengthOf[i];
          for (int k = 0; k < t; k++) mask[i][k] = k < len ? 1 : 0;
          rewards[i][len - 1] = r[i];
        }
        Segments seg = Segments.tree(starts(st), widths);
        double[][] a =
            T.rows(
                adv(AdvantageMode.TREE, Double.POSITIVE_INFINITY, 0, 0)
                    .compute(T.of(rewards), T.of(mask), null, null, g, seg, null)
                    .advantages());
        for (int i = 0; i < b; i++) {
          int g0 = i / g * g;
          double mean = 0, ss = 0;
          for (int j = g0; j < g0 + g; j++) mean += r[j] / g;
          for (int j = g0; j < g0 + g; j++) ss += (r[j] - mean) * (r[j] - mean);
          double sigma = Math.sqrt(ss / (g - 1)) + EPS;
          // one value per segment (a segment's tokens all share it), summed over the segments
          double total = a[i][0];
          for (int k = 0; k < d - 1; k++) {
            int at = (int) st[i][k];
            if (at < lengthOf[i]) total += a[i][at];
          }
          assertThat(total)
              .as("trial %d row %d", trial, i)
              .isCloseTo((r[i] - mean) / sigma, within(1e-9));
          // segment k's tokens: V(depth k+1) − V(depth k) by counting the leaves
          long n = g;
          double vPrev = mean;
          int from = 0;
          for (int k = 0; k < d; k++) {
            n /= widths[k];
            long first = (i - g0) / n * n + g0;
            double v = 0;
            for (long j = first; j < first + n; j++) v += r[(int) j] / n;
            int to = k < d - 1 ? (int) st[i][k] : t;
            for (int x = from; x < to; x++) {
              if (mask[i][x] > 0) {
                assertThat(a[i][x])
                    .as("trial %d row %d t %d", trial, i, x)
                    .isCloseTo((v - vPrev) / sigma, within(1e-9));
              }
            }
            vPrev = v;
            from = to;
          }
        }
      }
    }
  }

  private static int[] lengthOf = new int[64];

  /**
   * Grows the subtree of a node at depth k ≥ 1 over leaves [first, first + n): its segment takes
   * 1–2 tokens (a branch comes after a token the node sampled); it either finishes there (its
   * leaves are copies: one length and reward, their remaining starts at that length) or branches
   * into w_{k+1} children.
   */
  private static void grow(
      Random rnd, int[] widths, int k, int first, int n, int offset, long[][] st, double[] r) {
    int d = widths.length;
    int len = offset + 1 + rnd.nextInt(2);
    boolean finish = k == d || rnd.nextInt(5) == 0;
    if (finish) {
      double reward = rnd.nextInt(3) * 0.5;
      for (int i = first; i < first + n; i++) {
        r[i] = reward;
        lengthOf[i] = len;
        for (int j = k - 1; j < d - 1; j++) st[i][j] = len;
      }
      return;
    }
    for (int i = first; i < first + n; i++) st[i][k - 1] = len;
    int child = n / widths[k];
    for (int c = 0; c < widths[k]; c++) {
      grow(rnd, widths, k + 1, first + c * child, child, len, st, r);
    }
  }

  /**
   * MC_PREFIX: values measured at the cuts. Group of 2, 5 tokens; row 0 cut after tokens 2 and 4
   * with V̂ = 0.5 and 1, row 1 cut after token 3 only (its spare cut at its length 5, value R).
   */
  @Test
  void mcPrefixCreditsEachSegmentWithItsMeasuredValueChange() {
    try (var scope = new PointerScope()) {
      double[][] rewards = {{0, 0, 0, 0, 1}, {0, 0, 0, 0, 0}};
      double[][] mask = {{1, 1, 1, 1, 1}, {1, 1, 1, 1, 1}};
      Segments seg =
          Segments.measured(
              starts(new long[][] {{2, 4}, {3, 5}}), T.of(new double[][] {{0.5, 1}, {0.25, 0}}));
      // R = (1, 0): mean 1/2, σ = √(1/2)
      double s = Math.sqrt(0.5);
      var r =
          adv(AdvantageMode.MC_PREFIX, Double.POSITIVE_INFINITY, 0, 0)
              .compute(T.of(rewards), T.of(mask), null, null, 2, seg, null);
      T.assertRows(
          r.advantages(),
          new double[][] {
            {0, 0, 0.5 / s, 0.5 / s, 0},
            {-0.25 / s, -0.25 / s, -0.25 / s, -0.25 / s, -0.25 / s}
          });
    }
  }

  /**
   * The fallback adds clip(w·r) only in groups whose completions all fail or all succeed: group 0
   * (fail, fail) gets it, group 1 (success, fail) keeps its sequence advantage.
   */
  @Test
  void validatorFallbackOnlyWhereTheGroupHasNoOutcomeSignal() {
    try (var scope = new PointerScope()) {
      double[][] rewards = {{0.1, -0.2, 0}, {0.1, 0.1, 0}, {0.1, 0.9, 0}, {0.1, 0, 0}};
      double[][] mask = {{1, 1, 1}, {1, 1, 0}, {1, 1, 1}, {1, 1, 1}};
      Tensor success = vec(0, 0, 1, 0);
      var plain =
          adv(AdvantageMode.SEQUENCE, 1.0, 0, 0)
              .compute(T.of(rewards), T.of(mask), null, null, 2)
              .advantages();
      var r =
          adv(AdvantageMode.SEQUENCE, 1.0, 0, 5)
              .compute(T.of(rewards), T.of(mask), null, null, 2, null, success);
      double[][] p = T.rows(plain);
      T.assertRows(
          r.advantages(),
          new double[][] {
            {p[0][0] + 0.5, p[0][1] - 1, p[0][2]}, {p[1][0] + 0.5, p[1][1] + 0.5, 0}, p[2], p[3]
          });
      assertThatThrownBy(
              () ->
                  adv(AdvantageMode.SEQUENCE, 1.0, 0, 5)
                      .compute(T.of(rewards), T.of(mask), null, null, 2))
          .hasMessageContaining("success");
    }
  }

  @Test
  void topEntropyMaskKeepsTheMostUncertainShareOfValidTokens() {
    try (var scope = new PointerScope()) {
      double[][] h = {{0.1, 2.0, 0.3, 9.0}, {1.5, 0.2, 0.7, 0.0}};
      double[][] mask = {{1, 1, 1, 0}, {1, 1, 1, 1}};
      // 7 valid tokens, q = 0.3 → ⌈2.1⌉ = 3 kept: 2.0, 1.5, 0.7 (9.0 is padding)
      T.assertRows(
          TokenCredit.topEntropyMask(T.of(h), T.of(mask), 0.3),
          new double[][] {{0, 1, 0, 0}, {1, 0, 1, 0}});
      double[][] a = {{1, -1, 0.5, 7}, {0.2, 0.3, -0.4, 0.5}};
      var masked =
          new TokenMask(0.3).apply(Advantages.Result.of(T.of(a), T.of(mask)), T.of(h), T.of(mask));
      T.assertRows(masked.advantages(), new double[][] {{0, -1, 0, 0}, {0.2, 0, -0.4, 0}});
      assertThat(masked.tokenAbsMean()).isCloseTo(1.6 / 7, within(1e-12));
      assertThatThrownBy(() -> new TokenMask(1.5))
          .hasMessageContaining("rl.token_mask.top_entropy");
    }
  }

  @Test
  void nonZeroSharesCountTokensAndGroups() {
    try (var scope = new PointerScope()) {
      double[][] a = {
        {0, 0.5, 3}, {0, 1e-5, 0}, {0, 0, 0}, {0, 0, 0}
      }; // 1e-5: rounding, not credit
      double[][] mask = {{1, 1, 0}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}};
      // 1 of 11 valid tokens (the 3 is padding); group 0 has it, group 1 not
      assertThat(TokenCredit.nonZeroShares(T.of(a), T.of(mask), 2))
          .containsExactly(new double[] {1.0 / 11, 0.5}, within(1e-12));
    }
  }

  @Test
  void segmentModesNeedSegmentsAndTreesTheirShape() {
    try (var scope = new PointerScope()) {
      double[][] rewards = {{0, 1}, {0, 0}};
      double[][] mask = {{1, 1}, {1, 1}};
      assertThatThrownBy(
              () ->
                  adv(AdvantageMode.TREE, 1, 0, 0)
                      .compute(T.of(rewards), T.of(mask), null, null, 2))
          .hasMessageContaining("rl.advantage.mode=tree needs");
      assertThatThrownBy(() -> Segments.tree(starts(new long[][] {{1}, {1}}), new int[] {2}))
          .hasMessageContaining("depth 1");
      assertThatThrownBy(() -> TokenCredit.leaves(new int[] {2, 0}))
          .hasMessageContaining("sampling.tree.widths");
      assertThat(AdvantageMode.parse("mc-prefix")).isEqualTo(AdvantageMode.MC_PREFIX);
      assertThat(AdvantageMode.parse("tree")).isEqualTo(AdvantageMode.TREE);
    }
  }
}
