package io.grpo4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class TruncatedImportanceTest {
  // π_old and π_sampler of six tokens, by hand: ratios 0.5, 1, 2, 4, 0.1, 8
  private static final double[] OLD = {0.25, 0.5, 0.4, 0.8, 0.05, 0.4};
  private static final double[] SAMPLER = {0.5, 0.5, 0.2, 0.2, 0.5, 0.05};

  private static Tensor logs(double[] p) {
    double[] l = new double[p.length];
    for (int i = 0; i < p.length; i++) l[i] = Math.log(p[i]);
    return T.of(new double[][] {l});
  }

  @Test
  void weightsAreTheRatioTruncatedAtTheCap() {
    try (var scope = new PointerScope()) {
      assertThat(T.flat(TruncatedImportance.weights(logs(OLD), logs(SAMPLER), 2.0)))
          .containsExactly(new double[] {0.5, 1, 2, 2, 0.1, 2}, within(1e-12));
      assertThat(
              T.flat(
                  TruncatedImportance.weights(logs(OLD), logs(SAMPLER), Double.POSITIVE_INFINITY)))
          .containsExactly(new double[] {0.5, 1, 2, 4, 0.1, 8}, within(1e-12));
      assertThat(T.flat(TruncatedImportance.mismatch(logs(OLD), logs(SAMPLER))))
          .containsExactly(
              new double[] {Math.log(2), 0, Math.log(2), Math.log(4), Math.log(10), Math.log(8)},
              within(1e-12));
    }
  }

  @Test
  void capsBelowOneAreRefused() {
    assertThatThrownBy(() -> TruncatedImportance.requireCap(0.5))
        .hasMessageContaining("rl.tis_cap");
    assertThatThrownBy(() -> TruncatedImportance.requireCap(Double.NaN))
        .hasMessageContaining("rl.tis_cap");
  }

  /**
   * The weighted surrogate is w_t·L_t: loss and gradient by hand (ρ = π_θ/π_old = 1 at the old
   * weights, so dL_t/dlog π_θ = −w_t·A_t for every token, none clipped), and with no weights the
   * loss is today's, bit for bit.
   */
  @Test
  void weightedLossByHandAndUnweightedIsUnchanged() {
    try (var scope = new PointerScope()) {
      double[] adv = {1, -1, 0.5, 2, -0.5, 1};
      Tensor A = T.of(new double[][] {adv});
      Tensor mask = T.of(new double[][] {{1, 1, 1, 1, 1, 0}});
      var loss = new PolicyLoss(0.2, 0.2, LossAggregation.TOKEN);

      Tensor logp = logs(OLD).set_requires_grad(true);
      Tensor w = TruncatedImportance.weights(logs(OLD), logs(SAMPLER), 2.0);
      var r = loss.compute(logp, logs(OLD), A, mask, 6, w);
      double[] wv = {0.5, 1, 2, 2, 0.1, 2};
      double expected = 0;
      for (int i = 0; i < 5; i++) expected += -wv[i] * adv[i] / 5;
      assertThat(T.scalar(r.loss())).isCloseTo(expected, within(1e-12));
      r.loss().backward();
      double[] grad = T.flat(logp.grad());
      for (int i = 0; i < 5; i++) assertThat(grad[i]).isCloseTo(-wv[i] * adv[i] / 5, within(1e-12));
      assertThat(grad[5]).isZero();

      // off (no weights) = the loss as it always was: identical values
      Tensor logp2 = logs(new double[] {0.3, 0.45, 0.5, 0.7, 0.06, 0.5});
      var plain = loss.compute(logp2, logs(SAMPLER), A, mask, 6);
      var off = loss.compute(logp2, logs(SAMPLER), A, mask, 6, null);
      assertThat(T.flat(off.perToken())).containsExactly(T.flat(plain.perToken()));
      assertThat(T.scalar(off.loss())).isEqualTo(T.scalar(plain.loss()));
      assertThat(off.clipRatio()).isEqualTo(plain.clipRatio());
      // and a weight of exactly 1 everywhere (π_old = π_sampler, C = ∞) changes nothing either
      Tensor ones =
          TruncatedImportance.weights(logs(SAMPLER), logs(SAMPLER), Double.POSITIVE_INFINITY);
      var unit = loss.compute(logp2, logs(SAMPLER), A, mask, 6, ones);
      assertThat(T.scalar(unit.loss())).isEqualTo(T.scalar(plain.loss()));
    }
  }
}
