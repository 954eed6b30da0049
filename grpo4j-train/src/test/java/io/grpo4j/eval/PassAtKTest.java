package io.grpo4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PassAtKTest {
  @Test
  void matchesTheCombinatorialDefinition() {
    // n = 8, c = 2, k = 2: 1 - C(6,2)/C(8,2) = 1 - 15/28
    assertThat(PassAtK.estimate(8, 2, 2)).isCloseTo(13.0 / 28, within(1e-12));
    // k = 1 is c / n
    for (int c = 0; c <= 8; c++)
      assertThat(PassAtK.estimate(8, c, 1)).isCloseTo(c / 8.0, within(1e-12));
    // k = n is "any correct"
    assertThat(PassAtK.estimate(8, 0, 8)).isZero();
    assertThat(PassAtK.estimate(8, 1, 8)).isEqualTo(1.0);
    // brute force over all k-subsets for small n
    for (int n = 1; n <= 7; n++)
      for (int c = 0; c <= n; c++)
        for (int k = 1; k <= n; k++)
          assertThat(PassAtK.estimate(n, c, k))
              .as("n %d c %d k %d", n, c, k)
              .isCloseTo(bruteForce(n, c, k), within(1e-12));
    assertThatThrownBy(() -> PassAtK.estimate(4, 1, 5)).hasMessageContaining("k <= n");
  }

  /** Share of k-subsets of n samples (the first c correct) that contain a correct one. */
  private static double bruteForce(int n, int c, int k) {
    int hit = 0, all = 0;
    for (int mask = 0; mask < 1 << n; mask++) {
      if (Integer.bitCount(mask) != k) continue;
      all++;
      if ((mask & ((1 << c) - 1)) != 0) hit++;
    }
    return hit / (double) all;
  }
}
