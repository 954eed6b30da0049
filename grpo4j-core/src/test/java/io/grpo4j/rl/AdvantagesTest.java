package io.grpo4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.grpo4j.torch.Tensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * A 2-prompt × 3-sample toy batch with ragged lengths; padding holds garbage (99) that must never
 * leak into the result. Expected values were worked out by hand (fractions in the comments).
 */
class AdvantagesTest {
  static final double P = 99; // padding garbage
  static final double EPS = 1e-4;

  // group 0: R = 3, 1, 4      group 1: R = 1, 1, 1 (zero std)
  static final double[][] REWARDS = {
    {1, 0, 2, P},
    {0, 1, P, P},
    {3, 0, 0, 1},
    {1, P, P, P},
    {0.5, 0.5, P, P},
    {0.25, 0.25, 0.25, 0.25},
  };
  static final double[][] MASK = {
    {1, 1, 1, 0},
    {1, 1, 0, 0},
    {1, 1, 1, 1},
    {1, 0, 0, 0},
    {1, 1, 0, 0},
    {1, 1, 1, 1},
  };

  /** {@code mode} with the default clip, std scaling and ε, and no weights. */
  private static Advantages defaults(AdvantageMode mode) {
    return adv(mode, Advantages.CLIP, Advantages.SCALE_REWARDS, Advantages.EPSILON);
  }

  /** The first four settings; no sequence share, process weight, std floor or entropy weight. */
  private static Advantages adv(AdvantageMode mode, double clip, boolean scale, double eps) {
    return new Advantages(mode, clip, scale, eps, 0, 0, 0, 0, 0);
  }

  private static Advantages.Result run(Advantages adv) {
    return adv.compute(T.of(REWARDS), T.of(MASK), null, null, 3);
  }

  @Test
  void tokenRelativeSubtractsTheGroupTokenMeanAndClips() {
    try (var scope = new PointerScope()) {
      var result = run(defaults(AdvantageMode.TOKEN_RELATIVE));
      // group 0: 9 tokens summing to 8 -> r̄ = 8/9; group 1: 7 tokens summing to 3 -> r̄ = 3/7
      double a = 1.0 / 9, b = -8.0 / 9;
      T.assertRows(
          result.advantages(),
          new double[][] {
            {a, b, 1.0 /* 10/9 clipped */, 0},
            {b, a, 0, 0},
            {1.0 /* 19/9 clipped */, b, b, a},
            {4.0 / 7, 0, 0, 0},
            {1.0 / 14, 1.0 / 14, 0, 0},
            {-5.0 / 28, -5.0 / 28, -5.0 / 28, -5.0 / 28},
          });
      // Σδ = (-29/9 + 2) + 0 = -11/9 over 16 tokens; Σ|δ| = 53/9 + 10/7 = 461/63
      assertThat(result.tokenMean()).isCloseTo(-11.0 / 144, within(1e-9));
      assertThat(result.tokenAbsMean()).isCloseTo(461.0 / 63 / 16, within(1e-9));
      // the sequence rewards R: group 1 has zero std
      assertThat(Advantages.fracZeroStdGroups(Tensors.doubles(3, 1, 4, 1, 1, 1), 3)).isEqualTo(0.5);
    }
  }

  @Test
  void tokenRelativeClipBoundsEveryDelta() {
    try (var scope = new PointerScope()) {
      var result = run(adv(AdvantageMode.TOKEN_RELATIVE, 0.5, true, EPS));
      double[][] a = T.rows(result.advantages());
      assertThat(a[0]).containsExactly(new double[] {1.0 / 9, -0.5, 0.5, 0}, within(1e-9));
      assertThat(a[3][0]).isCloseTo(0.5, within(1e-12)); // 4/7 clipped
      assertThat(a[5][0]).isCloseTo(-5.0 / 28, within(1e-12)); // inside the clip: untouched
      var unclipped = run(adv(AdvantageMode.TOKEN_RELATIVE, Double.POSITIVE_INFINITY, true, EPS));
      assertThat(T.rows(unclipped.advantages())[2][0]).isCloseTo(19.0 / 9, within(1e-9));
    }
  }

  @Test
  void sequenceIsStandardGrpoWithSampleStdAndNoClip() {
    try (var scope = new PointerScope()) {
      var result = run(defaults(AdvantageMode.SEQUENCE));
      // group 0: R = 3, 1, 4, mean 8/3, deviations 1/3, -5/3, 4/3, sample var (1+25+16)/9/2 = 7/3
      double s = Math.sqrt(7.0 / 3) + EPS;
      double a0 = (1.0 / 3) / s, a1 = (-5.0 / 3) / s, a2 = (4.0 / 3) / s;
      T.assertRows(
          result.advantages(),
          new double[][] {
            {a0, a0, a0, 0},
            {a1, a1, 0, 0},
            {a2, a2, a2, a2},
            {0, 0, 0, 0}, // group 1: equal rewards -> 0 / (0 + eps)
            {0, 0, 0, 0},
            {0, 0, 0, 0},
          });
      assertThat(a1).isCloseTo(-1.0911, within(1e-4)); // |A| > c = 1 and still not clipped
    }
  }

  @Test
  void sequenceWithoutScalingIsTheCenteredReturn() {
    try (var scope = new PointerScope()) {
      var result = run(adv(AdvantageMode.SEQUENCE, 1.0, false, EPS));
      double[][] a = T.rows(result.advantages());
      assertThat(a[0]).containsExactly(new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3, 0}, within(1e-9));
      assertThat(a[1]).containsExactly(new double[] {-5.0 / 3, -5.0 / 3, 0, 0}, within(1e-9));
      assertThat(a[2])
          .containsExactly(new double[] {4.0 / 3, 4.0 / 3, 4.0 / 3, 4.0 / 3}, within(1e-9));
      // tokens: 3·(1/3) + 2·(-5/3) + 4·(4/3) = 3 over 16 tokens
      assertThat(result.tokenMean()).isCloseTo(3.0 / 16, within(1e-9));
    }
  }

  @Test
  void returnToGoUsesAPerPositionGroupBaseline() {
    try (var scope = new PointerScope()) {
      var result = run(adv(AdvantageMode.RETURN_TO_GO, 1.0, false, EPS));
      // group 0 returns: [3,2,2] [1,1] [4,1,1,1]
      //   t0: 3,1,4 -> b 8/3;  t1: 2,1,1 -> b 4/3;  t2: rows 0,2: 2,1 -> b 1.5;  t3: row 2 alone ->
      // 0
      // group 1 returns: [1] [1,.5] [1,.75,.5,.25]
      //   t0: all 1 -> 0;  t1: rows 4,5: .5,.75 -> b .625;  t2, t3: row 5 alone -> 0
      T.assertRows(
          result.advantages(),
          new double[][] {
            {1.0 / 3, 2.0 / 3, 0.5, 0},
            {-1.0 /* -5/3 clipped */, -1.0 / 3, 0, 0},
            {1.0 /* 4/3 clipped */, -1.0 / 3, -0.5, 0},
            {0, 0, 0, 0},
            {0, -0.125, 0, 0},
            {0, 0.125, 0, 0},
          });
    }
  }

  @Test
  void returnToGoScaledDividesByThePositionsSampleStd() {
    try (var scope = new PointerScope()) {
      var result = run(adv(AdvantageMode.RETURN_TO_GO, Double.POSITIVE_INFINITY, true, EPS));
      double s0 = Math.sqrt(7.0 / 3) + EPS; // t0 of group 0: 3,1,4
      double s1 = Math.sqrt(1.0 / 3) + EPS; // t1 of group 0: 2,1,1 -> var (4+1+1)/9/2
      double s2 = Math.sqrt(0.5) + EPS; // t2 of group 0: 2,1 -> var 0.5
      double s1g1 = Math.sqrt(0.03125) + EPS; // t1 of group 1: .5,.75 -> var 2·.125²
      T.assertRows(
          result.advantages(),
          new double[][] {
            {(1.0 / 3) / s0, (2.0 / 3) / s1, 0.5 / s2, 0},
            {(-5.0 / 3) / s0, (-1.0 / 3) / s1, 0, 0},
            {(4.0 / 3) / s0, (-1.0 / 3) / s1, -0.5 / s2, 0},
            {0, 0, 0, 0},
            {0, -0.125 / s1g1, 0, 0},
            {0, 0.125 / s1g1, 0, 0},
          });
    }
  }

  @Test
  void float32AndBooleanMaskWork() {
    try (var scope = new PointerScope()) {
      Tensor r = T.of(REWARDS).to(org.bytedeco.pytorch.global.torch.ScalarType.Float);
      Tensor m = T.of(MASK).gt(new org.bytedeco.pytorch.Scalar(0.5));
      var result = defaults(AdvantageMode.TOKEN_RELATIVE).compute(r, m, null, null, 3);
      assertThat(result.advantages().scalar_type().intern())
          .isEqualTo(org.bytedeco.pytorch.global.torch.ScalarType.Float);
      assertThat(T.rows(result.advantages())[3][0]).isCloseTo(4.0 / 7, within(1e-6));
    }
  }

  @Test
  void badInputNamesTheProblem() {
    try (var scope = new PointerScope()) {
      var adv = defaults(AdvantageMode.SEQUENCE);
      assertThatThrownBy(() -> adv.compute(T.of(REWARDS), T.of(MASK), null, null, 4))
          .hasMessageContaining("6 rows")
          .hasMessageContaining("rl.group_size=4");
      assertThatThrownBy(() -> adv.compute(T.of(REWARDS), T.of(MASK), null, null, 1))
          .hasMessageContaining("rl.group_size >= 2");
      assertThatThrownBy(
              () -> adv.compute(T.of(REWARDS), T.of(new double[][] {{1, 1}}), null, null, 3))
          .hasMessageContaining("mask")
          .hasMessageContaining("[1, 2]");
      assertThatThrownBy(() -> adv(AdvantageMode.SEQUENCE, 0, true, EPS))
          .hasMessageContaining("rl.advantage.clip");
    }
  }

  @Test
  void modeParsesConfigSpellings() {
    assertThat(AdvantageMode.parse("token_relative")).isEqualTo(AdvantageMode.TOKEN_RELATIVE);
    assertThat(AdvantageMode.parse(" Sequence ")).isEqualTo(AdvantageMode.SEQUENCE);
    assertThat(AdvantageMode.parse("return-to-go")).isEqualTo(AdvantageMode.RETURN_TO_GO);
    assertThatThrownBy(() -> AdvantageMode.parse("gae"))
        .hasMessageContaining("rl.advantage.mode")
        .hasMessageContaining("'gae'")
        .hasMessageContaining("token_relative, sequence, return_to_go");
    assertThatThrownBy(() -> AdvantageMode.parse(null)).hasMessageContaining("rl.advantage.mode");
  }
}
