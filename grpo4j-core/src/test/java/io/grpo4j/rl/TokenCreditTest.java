package io.grpo4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** Hand-computed cases (fractions in the comments) and a brute-force check of the prefix values. */
class TokenCreditTest {
  static final double P = 99; // padding garbage

  @Test
  void prefixDeltasMoveTheGroupValueWhereCompletionsPart() {
    try (var scope = new PointerScope()) {
      long[][] ids = {
        {5, 1, 2}, // R 1
        {5, 1, 3}, // R 0
        {5, 2, 2}, // R 0
        {6, 9, 99}, // R 1, 2 tokens (padding id 99 equals nothing)
        {7, 7, 7}, // R 0.2
        {7, 7, 7}, // R 0.2
        {7, 7, 7}, // R 0.2
        {7, 7, 8}, // R 0.6
      };
      double[][] mask = {
        {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 0}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}
      };
      Tensor R = Tensor.create(new double[] {1, 0, 0, 1, 0.2, 0.2, 0.2, 0.6}, 8);
      Tensor d = TokenCredit.prefixDeltas(T.ids(ids), T.of(mask), R, 4);
      // group 0: V(0) = 1/2; rows through "5": 0,1,2 -> 1/3; "5 1": 0,1 -> 1/2; "6": 3 -> 1
      // group 1: V = 0.3 until the last token; "7 7 7" -> 0.2, "7 7 8" -> 0.6
      double s = 1.0 / 6;
      T.assertRows(
          d,
          new double[][] {
            {-s, s, 0.5},
            {-s, s, -0.5},
            {-s, -1.0 / 3, 0},
            {0.5, 0, 0},
            {0, 0, -0.1},
            {0, 0, -0.1},
            {0, 0, -0.1},
            {0, 0, 0.3},
          });
    }
  }

  /** Σ_t δ_{i,t} = R_i − mean_g R, and each V̂ against a direct count, on random groups. */
  @Test
  void prefixDeltasAgreeWithBruteForceOnRandomGroups() {
    Random rnd = new Random(7);
    for (int trial = 0; trial < 20; trial++) {
      try (var scope = new PointerScope()) {
        int g = 2 + rnd.nextInt(6), groups = 1 + rnd.nextInt(3), t = 1 + rnd.nextInt(6);
        int b = g * groups;
        long[][] ids = new long[b][t];
        double[][] mask = new double[b][t];
        double[] r = new double[b];
        for (int i = 0; i < b; i++) {
          int len = 1 + rnd.nextInt(t);
          for (int k = 0; k < t; k++) {
            ids[i][k] = k < len ? rnd.nextInt(2) : rnd.nextInt(3); // few symbols: many shared
            mask[i][k] = k < len ? 1 : 0;
          }
          // a completion ends with its stop token (2) unless it ran to the length limit, so none
          // is a proper prefix of another
          if (len < t) ids[i][len - 1] = 2;
          r[i] = rnd.nextInt(3) * 0.5 - 0.2;
        }
        // identical completions must score the same (a verifier is a function of the text)
        for (int i = 0; i < b; i++)
          for (int j = 0; j < i; j++)
            if (i / g == j / g && sameCompletion(ids[i], mask[i], ids[j], mask[j])) r[i] = r[j];
        double[][] d =
            T.rows(TokenCredit.prefixDeltas(T.ids(ids), T.of(mask), Tensor.create(r, b), g));
        for (int i = 0; i < b; i++) {
          int g0 = i / g * g;
          double mean = 0;
          for (int j = g0; j < g0 + g; j++) mean += r[j] / g;
          double sum = 0;
          for (int k = 0; k < t; k++) {
            if (mask[i][k] == 0) {
              assertThat(d[i][k]).isZero();
              continue;
            }
            double expected =
                brute(ids, mask, r, g0, g, i, k + 1) - brute(ids, mask, r, g0, g, i, k);
            assertThat(d[i][k])
                .as("trial %d row %d t %d", trial, i, k)
                .isCloseTo(expected, within(1e-9));
            sum += d[i][k];
          }
          assertThat(sum).isCloseTo(r[i] - mean, within(1e-9));
        }
      }
    }
  }

  private static boolean sameCompletion(long[] a, double[] ma, long[] b, double[] mb) {
    for (int k = 0; k < a.length; k++) {
      if (ma[k] != mb[k]) return false;
      if (ma[k] == 1 && a[k] != b[k]) return false;
    }
    return true;
  }

  /** Mean reward of the group's rows whose first n tokens exist and equal row i's. */
  private static double brute(
      long[][] ids, double[][] mask, double[] r, int g0, int g, int i, int n) {
    double sum = 0;
    int count = 0;
    for (int j = g0; j < g0 + g; j++) {
      boolean shares = true;
      for (int k = 0; k < n; k++) {
        if (mask[j][k] == 0 || mask[i][k] == 0 || ids[j][k] != ids[i][k]) shares = false;
      }
      if (shares) {
        sum += r[j];
        count++;
      }
    }
    return sum / count;
  }

  @Test
  void normalisedProcessRewardStandardisesWithinTheGroup() {
    try (var scope = new PointerScope()) {
      double[][] r = {{1, 0}, {0, P}, {2, 2}, {2, 2}};
      double[][] m = {{1, 1}, {1, 0}, {1, 1}, {1, 1}};
      // group 0: tokens 1, 0, 0: mean 1/3, sample std sqrt((4/9 + 1/9 + 1/9) / 2) = 1/sqrt(3)
      double hi = (2.0 / 3) * Math.sqrt(3), lo = -(1.0 / 3) * Math.sqrt(3);
      Tensor z =
          TokenCredit.normalisedProcessReward(T.of(r), T.of(m), 2, Double.POSITIVE_INFINITY, 1e-12);
      // group 1: all equal -> 0
      T.assertRows(z, new double[][] {{hi, lo}, {lo, 0}, {0, 0}, {0, 0}});
      Tensor clipped = TokenCredit.normalisedProcessReward(T.of(r), T.of(m), 2, 1.0, 1e-12);
      T.assertRows(clipped, new double[][] {{1.0, lo}, {lo, 0}, {0, 0}, {0, 0}});
    }
  }

  @Test
  void entropyWeightsAverageToOneAndFollowTheEntropy() {
    try (var scope = new PointerScope()) {
      double[][] h = {{1, 3}, {2, P}};
      double[][] m = {{1, 1}, {1, 0}};
      // mean entropy 2
      T.assertRows(
          TokenCredit.entropyWeights(T.of(h), T.of(m), 1.0), new double[][] {{0.5, 1.5}, {1, 0}});
      T.assertRows(
          TokenCredit.entropyWeights(T.of(h), T.of(m), 0.5), new double[][] {{0.75, 1.25}, {1, 0}});
      T.assertRows(
          TokenCredit.entropyWeights(T.of(h), T.of(m), 0.0), new double[][] {{1, 1}, {1, 0}});
      assertThatThrownBy(() -> TokenCredit.entropyWeights(T.of(h), T.of(m), 1.5))
          .hasMessageContaining("rl.advantage.entropy_weight");
    }
  }

  @Test
  void highEntropyShareAndIdenticalOutcomeGroups() {
    try (var scope = new PointerScope()) {
      double[][] a = {{1, -2}, {3, P}};
      double[][] h = {{0.1, 0.9}, {0.5, P}};
      double[][] m = {{1, 1}, {1, 0}};
      assertThat(TokenCredit.highEntropyShare(T.of(a), T.of(h), T.of(m), 0.4))
          .isCloseTo(5.0 / 6, within(1e-12));
      assertThat(
              TokenCredit.highEntropyShare(
                  T.of(new double[][] {{0, 0}, {0, 0}}), T.of(h), T.of(m), 0.4))
          .isZero();
    }
    boolean[] s = {true, true, false, false, false, false, true, false};
    assertThat(TokenCredit.allSuccessAllFail(s, 2)).containsExactly(0.25, 0.5);
  }
}
