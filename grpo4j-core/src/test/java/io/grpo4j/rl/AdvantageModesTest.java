package io.grpo4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;

/** The PREFIX and HYBRID modes, the std floor and entropy weighting, on hand-computed groups. */
class AdvantageModesTest {
  static final double P = 99; // padding garbage
  static final double EPS = 1e-12;

  // one group of 4; the outcome sits on the last token: R = 1, 0, 0, 1
  static final long[][] IDS = {{5, 1, 2}, {5, 1, 3}, {5, 2, 2}, {6, 9, 99}};
  static final double[][] R = {{0, 0, 1}, {0, 0, 0}, {0, 0, 0}, {0, 1, P}};
  static final double[][] M = {{1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 0}};
  static final double SIGMA = Math.sqrt(1.0 / 3); // sample std of 1, 0, 0, 1

  private static Advantages adv(
      AdvantageMode mode, double mu, double w, double floor, double kappa) {
    return new Advantages(mode, 1.0, true, EPS, mu, w, floor, kappa, 0);
  }

  @Test
  void prefixPutsTheScaledCreditWhereTheGroupParted() {
    try (var scope = new PointerScope()) {
      // δ from TokenCreditTest: values through "5" 1/3, "5 1" 1/2, "6" 1; divided by σ
      double s = 1.0 / 6 / SIGMA, h = 0.5 / SIGMA, third = 1.0 / 3 / SIGMA;
      var r = adv(AdvantageMode.PREFIX, 0, 0, 0, 0).compute(T.of(R), T.of(M), T.ids(IDS), null, 4);
      T.assertRows(
          r.advantages(), new double[][] {{-s, s, h}, {-s, s, -h}, {-s, -third, 0}, {h, 0, 0}});
      // with μ = 0.5 every valid token also gets half the z-score ±0.5/σ
      var mixed =
          adv(AdvantageMode.PREFIX, 0.5, 0, 0, 0).compute(T.of(R), T.of(M), T.ids(IDS), null, 4);
      double z = 0.5 * h;
      T.assertRows(
          mixed.advantages(),
          new double[][] {
            {-s + z, s + z, h + z}, {-s - z, s - z, -h - z}, {-s - z, -third - z, -z}, {h + z, z, 0}
          });
      assertThatThrownBy(
              () -> adv(AdvantageMode.PREFIX, 0, 0, 0, 0).compute(T.of(R), T.of(M), null, null, 4))
          .hasMessageContaining("needs token ids");
    }
  }

  @Test
  void hybridIsTheSequenceTermPlusTheWeightedProcessTerm() {
    try (var scope = new PointerScope()) {
      var h = adv(AdvantageMode.HYBRID, 0, 0.5, 0, 0).compute(T.of(R), T.of(M), null, null, 4);
      // token rewards of the group: 1 (row 0, t 2), 1 (row 3, t 1), 0 elsewhere, over 11 tokens:
      // mean 2/11, sample std sqrt((2·(9/11)² + 9·(2/11)²) / 10) = sqrt(198/1210)
      double sd = Math.sqrt(198.0 / 1210), hi = Math.min(1, (9.0 / 11) / sd), lo = -(2.0 / 11) / sd;
      double a = 0.5 / SIGMA; // sequence z-scores ±a
      T.assertRows(
          h.advantages(),
          new double[][] {
            {a + 0.5 * lo, a + 0.5 * lo, a + 0.5 * hi},
            {-a + 0.5 * lo, -a + 0.5 * lo, -a + 0.5 * lo},
            {-a + 0.5 * lo, -a + 0.5 * lo, -a + 0.5 * lo},
            {a + 0.5 * lo, a + 0.5 * hi, 0}
          });
    }
  }

  @Test
  void stdFloorKeepsAllFailGroupsSmall() {
    try (var scope = new PointerScope()) {
      // R = −0.1, −0.2, −0.2, −0.2: mean −0.175, sample std 0.05
      double[][] r = {{-0.1}, {-0.2}, {-0.2}, {-0.2}};
      double[][] m = {{1}, {1}, {1}, {1}};
      var plain = adv(AdvantageMode.SEQUENCE, 0, 0, 0, 0).compute(T.of(r), T.of(m), null, null, 4);
      assertThat(T.rows(plain.advantages())[0][0]).isCloseTo(1.5, within(1e-9));
      var floored =
          adv(AdvantageMode.SEQUENCE, 0, 0, 0.25, 0).compute(T.of(r), T.of(m), null, null, 4);
      assertThat(T.rows(floored.advantages())[0][0]).isCloseTo(0.075 / 0.25, within(1e-9));
      assertThat(T.rows(floored.advantages())[1][0]).isCloseTo(-0.025 / 0.25, within(1e-9));
      // a group with a success is above the floor and unchanged
      var mixed =
          adv(AdvantageMode.SEQUENCE, 0, 0, 0.25, 0).compute(T.of(R), T.of(M), null, null, 4);
      assertThat(T.rows(mixed.advantages())[0][0]).isCloseTo(0.5 / SIGMA, within(1e-9));
    }
  }

  @Test
  void entropyWeightScalesEachTokensAdvantage() {
    try (var scope = new PointerScope()) {
      double[][] h = {{1, 1, 4}, {1, 1, 1}, {1, 1, 1}, {2, 2, P}}; // mean over 11 valid: 16/11
      var w = adv(AdvantageMode.SEQUENCE, 0, 0, 0, 1).compute(T.of(R), T.of(M), null, T.of(h), 4);
      double a = 0.5 / SIGMA, k = 11.0 / 16;
      T.assertRows(
          w.advantages(),
          new double[][] {
            {a * k, a * k, a * 4 * k},
            {-a * k, -a * k, -a * k},
            {-a * k, -a * k, -a * k},
            {a * 2 * k, a * 2 * k, 0}
          });
      assertThatThrownBy(
              () ->
                  adv(AdvantageMode.SEQUENCE, 0, 0, 0, 1).compute(T.of(R), T.of(M), null, null, 4))
          .hasMessageContaining("entropy_weight");
      assertThatThrownBy(() -> adv(AdvantageMode.SEQUENCE, 0, 0, 0, 2))
          .hasMessageContaining("rl.advantage.entropy_weight");
      assertThatThrownBy(() -> adv(AdvantageMode.HYBRID, 0, -1, 0, 0))
          .hasMessageContaining("rl.advantage.process_weight");
    }
  }
}
