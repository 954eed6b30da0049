package io.grpo4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class PolicyLossTest {

  /**
   * Six tokens, π_old = 1 (log 0) so ρ = exp(logp). With ε = 0.2 the trust region is [0.8, 1.2].
   * Expected L = −min(ρA, clip(ρ)A) and dL/dlogp = −ρA on the unclipped branch, 0 on the clipped.
   */
  @Test
  void surrogateValuesAndGradientSignsInsideAndOutsideTheClip() {
    try (var scope = new PointerScope()) {
      double[] rho = {1.1, 1.5, 0.5, 0.5, 1.5, 0.9};
      double[] adv = {+1, +1, +1, -1, -1, -1};
      // inside; clipped high (A>0); below range but A>0 -> unclipped; clipped low (A<0);
      // above range but A<0 -> unclipped; inside
      double[] expectedL = {-1.1, -1.2, -0.5, 0.8, 1.5, 0.9};
      double[] expectedGrad = {-1.1, 0, -0.5, 0, 1.5, 0.9};

      double[] logp = new double[6];
      for (int i = 0; i < 6; i++) logp[i] = Math.log(rho[i]);
      Tensor logProbs = T.of(new double[][] {logp}).set_requires_grad(true);
      Tensor old = T.of(new double[][] {new double[6]});
      Tensor mask = T.of(new double[][] {{1, 1, 1, 1, 1, 1}});

      var loss = new PolicyLoss(0.2, 0.2, LossAggregation.TOKEN);
      var result = loss.compute(logProbs, old, T.of(new double[][] {adv}), mask, 6);

      assertThat(T.flat(result.perToken())).containsExactly(expectedL, within(1e-12));
      double meanL = 0;
      for (double l : expectedL) meanL += l / 6;
      assertThat(T.scalar(result.loss())).isCloseTo(meanL, within(1e-12));
      assertThat(result.clipRatio()).isCloseTo(2.0 / 6, within(1e-12));

      result.loss().backward();
      double[] grad = T.flat(logProbs.grad());
      for (int i = 0; i < 6; i++) {
        assertThat(grad[i]).as("token %d", i).isCloseTo(expectedGrad[i] / 6, within(1e-12));
      }
      // Gradient descent raises logp where A > 0 (grad < 0) and lowers it where A < 0 (grad > 0).
      assertThat(grad[0]).isNegative();
      assertThat(grad[4]).isPositive();
    }
  }

  @Test
  void clipHigherLetsPositiveAdvantagesGrowFurther() {
    try (var scope = new PointerScope()) {
      Tensor logProbs = T.of(new double[][] {{Math.log(1.25)}}).set_requires_grad(true);
      Tensor zeros = T.of(new double[][] {{0}});
      Tensor one = T.of(new double[][] {{1}});
      var symmetric =
          new PolicyLoss(0.2, 0.2, LossAggregation.TOKEN).compute(logProbs, zeros, one, one, 1);
      var dapo =
          new PolicyLoss(0.2, 0.28, LossAggregation.TOKEN).compute(logProbs, zeros, one, one, 1);
      assertThat(T.scalar(symmetric.loss())).isCloseTo(-1.2, within(1e-12));
      assertThat(symmetric.clipRatio()).isEqualTo(1.0);
      assertThat(T.scalar(dapo.loss())).isCloseTo(-1.25, within(1e-12));
      assertThat(dapo.clipRatio()).isEqualTo(0.0);
    }
  }

  @Test
  void paddingIsNeverCountedInLossOrClipRatio() {
    try (var scope = new PointerScope()) {
      // token 1 is padding with a ratio of e^3 and advantage 1: it would be clipped if counted
      Tensor logProbs = T.of(new double[][] {{0.0, 3.0}}).set_requires_grad(true);
      Tensor old = T.of(new double[][] {{0.0, 0.0}});
      Tensor adv = T.of(new double[][] {{2.0, 1.0}});
      Tensor mask = T.of(new double[][] {{1, 0}});
      var result =
          new PolicyLoss(0.2, 0.2, LossAggregation.TOKEN).compute(logProbs, old, adv, mask, 2);
      assertThat(T.scalar(result.loss())).isCloseTo(-2.0, within(1e-12));
      assertThat(result.clipRatio()).isEqualTo(0.0);
      result.loss().backward();
      assertThat(T.flat(logProbs.grad())).containsExactly(new double[] {-2.0, 0.0}, within(1e-12));
    }
  }

  /** Ragged batch: rows of 3, 1 and 0 valid tokens; padding holds 100 and must not count. */
  @Test
  void aggregationModesOnARaggedBatch() {
    try (var scope = new PointerScope()) {
      Tensor l = T.of(new double[][] {{1, 2, 3}, {4, 100, 100}, {100, 100, 100}});
      Tensor mask = T.of(new double[][] {{1, 1, 1}, {1, 0, 0}, {0, 0, 0}});
      // token: (1+2+3+4)/4
      assertThat(T.scalar(LossAggregation.TOKEN.reduce(l, mask, 5))).isCloseTo(2.5, within(1e-12));
      // sequence: row means 2 and 4; the empty row is left out -> 3
      assertThat(T.scalar(LossAggregation.SEQUENCE.reduce(l, mask, 5)))
          .isCloseTo(3.0, within(1e-12));
      // constant: 10 / (B·C) = 10 / (3·5)
      assertThat(T.scalar(LossAggregation.CONSTANT.reduce(l, mask, 5)))
          .isCloseTo(10.0 / 15, within(1e-12));
      assertThatThrownBy(() -> LossAggregation.CONSTANT.reduce(l, mask, 0))
          .hasMessageContaining("maximum completion length");
    }
  }

  @Test
  void aggregationDecidesTokenWeightsInTheGradient() {
    try (var scope = new PointerScope()) {
      Tensor mask = T.of(new double[][] {{1, 1, 1}, {1, 0, 0}});
      for (var mode : LossAggregation.values()) {
        Tensor l = T.of(new double[][] {{1, 2, 3}, {4, 5, 6}}).set_requires_grad(true);
        mode.reduce(l, mask, 4).backward();
        double[] g = T.flat(l.grad());
        double[] expected =
            switch (mode) {
              case TOKEN -> new double[] {0.25, 0.25, 0.25, 0.25, 0, 0};
              case SEQUENCE -> new double[] {1.0 / 6, 1.0 / 6, 1.0 / 6, 0.5, 0, 0};
              case CONSTANT -> new double[] {0.125, 0.125, 0.125, 0.125, 0, 0};
            };
        assertThat(g).as(mode.configName()).containsExactly(expected, within(1e-12));
      }
    }
  }

  /** One SGD step on free logits moves log π(a) up for A > 0 and down for A < 0. */
  @Test
  void oneStepRaisesPositiveAndLowersNegativeAdvantageTokens() {
    try (var scope = new PointerScope()) {
      double[][][] z = {{{0.1, -0.3, 0.2, 0.0}}, {{0.5, 0.1, -0.2, 0.3}}};
      Tensor logits = T.of(z).set_requires_grad(true);
      Tensor ids = T.ids(new long[][] {{2}, {0}});
      Tensor before = TokenLogProbs.of(logits, ids).detach().clone();
      Tensor adv = T.of(new double[][] {{1.0}, {-1.0}});
      Tensor mask = T.of(new double[][] {{1}, {1}});
      var result =
          new PolicyLoss(0.2, 0.2, LossAggregation.TOKEN)
              .compute(TokenLogProbs.of(logits, ids), before, adv, mask, 1);
      result.loss().backward();
      Tensor stepped = logits.detach().sub(logits.grad().mul(new Scalar(0.5)));
      double[] after = T.flat(TokenLogProbs.of(stepped, ids));
      double[] b = T.flat(before);
      assertThat(after[0]).isGreaterThan(b[0]);
      assertThat(after[1]).isLessThan(b[1]);
    }
  }

  @Test
  void parsesAggregationAndRejectsBadSettings() {
    assertThat(LossAggregation.parse("Constant")).isEqualTo(LossAggregation.CONSTANT);
    assertThatThrownBy(() -> LossAggregation.parse("mean"))
        .hasMessageContaining("rl.aggregation")
        .hasMessageContaining("token, sequence, constant");
    assertThatThrownBy(() -> new PolicyLoss(1.2, 0.2, LossAggregation.TOKEN))
        .hasMessageContaining("rl.clip.low");
    assertThatThrownBy(() -> new PolicyLoss(0.2, -1, LossAggregation.TOKEN))
        .hasMessageContaining("rl.clip.high");
  }
}
