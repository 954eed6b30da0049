package io.grpo4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class KlPenaltyTest {
  static final double[] P = {0.7, 0.2, 0.1};
  static final double[] Q = {0.4, 0.4, 0.2};

  /** Logits log p + shift: softmax must not care about the shift. */
  private static double[] logits(double[] p, double shift) {
    double[] z = new double[p.length];
    for (int i = 0; i < p.length; i++) z[i] = Math.log(p[i]) + shift;
    return z;
  }

  @Test
  void exactKlMatchesTheTextbookSumAndIsAsymmetric() {
    try (var scope = new PointerScope()) {
      Tensor policy = T.of(new double[][][] {{logits(P, 3.0)}});
      Tensor ref = T.of(new double[][][] {{logits(Q, -1.5)}});
      var terms = KlPenalty.exact(policy, ref);
      // KL(p||q) = .7 ln(7/4) + .2 ln(1/2) + .1 ln(1/2);  KL(q||p) = .4 ln(4/7) + .4 ln 2 + .2 ln 2
      double forward = 0.7 * Math.log(1.75) + 0.3 * Math.log(0.5);
      double reverse = 0.4 * Math.log(4.0 / 7) + 0.6 * Math.log(2.0);
      assertThat(forward).isCloseTo(0.183787, within(1e-6));
      assertThat(reverse).isCloseTo(0.192042, within(1e-6));
      assertThat(T.scalar(terms.forward())).isCloseTo(forward, within(1e-12));
      assertThat(T.scalar(terms.reverse())).isCloseTo(reverse, within(1e-12));
      assertThat(Math.abs(T.scalar(terms.forward()) - T.scalar(terms.reverse())))
          .isGreaterThan(5e-3);
    }
  }

  @Test
  void klOfADistributionWithItselfIsZero() {
    try (var scope = new PointerScope()) {
      Tensor z = randomLogits(new Random(1), 2, 3, 7);
      var terms = KlPenalty.exact(z, z.add(new Scalar(4.0)));
      for (double v : T.flat(terms.forward())) assertThat(v).isCloseTo(0.0, within(1e-12));
      for (double v : T.flat(terms.reverse())) assertThat(v).isCloseTo(0.0, within(1e-12));
    }
  }

  @Test
  void gradientsMatchCentralFiniteDifferences() {
    try (var scope = new PointerScope()) {
      Random rnd = new Random(7);
      Tensor z0 = randomLogits(rnd, 2, 2, 5);
      Tensor ref = randomLogits(rnd, 2, 2, 5);
      double[] w = {0.3, -1.2, 0.8, 0.5}; // random per-token weights so every position matters
      Tensor weights = T.of(new double[][] {{w[0], w[1]}, {w[2], w[3]}});
      for (boolean forward : new boolean[] {true, false}) {
        Tensor z = z0.clone().set_requires_grad(true);
        objective(z, ref, weights, forward).backward();
        double[] grad = T.flat(z.grad());
        double[] base = T.flat(z0);
        double h = 1e-6;
        for (int k = 0; k < base.length; k++) {
          double[] plus = base.clone(), minus = base.clone();
          plus[k] += h;
          minus[k] -= h;
          double fd =
              (T.scalar(objective(Tensor.create(plus, 2, 2, 5), ref, weights, forward))
                      - T.scalar(objective(Tensor.create(minus, 2, 2, 5), ref, weights, forward)))
                  / (2 * h);
          assertThat(grad[k])
              .as("%s KL, logit %d", forward ? "forward" : "reverse", k)
              .isCloseTo(fd, within(1e-7));
        }
      }
    }
  }

  @Test
  void reverseKlGradientIsPolicyMinusReference() {
    try (var scope = new PointerScope()) {
      Tensor z = T.of(new double[][][] {{logits(P, 0)}}).set_requires_grad(true);
      Tensor ref = T.of(new double[][][] {{logits(Q, 0)}});
      KlPenalty.exact(z, ref).reverse().sum().backward();
      double[] g = T.flat(z.grad());
      for (int v = 0; v < 3; v++) assertThat(g[v]).isCloseTo(P[v] - Q[v], within(1e-12));
    }
  }

  @Test
  void referenceLogitsGetNoGradient() {
    try (var scope = new PointerScope()) {
      Tensor z = T.of(new double[][][] {{logits(P, 0)}}).set_requires_grad(true);
      Tensor ref = T.of(new double[][][] {{logits(Q, 0)}}).set_requires_grad(true);
      var terms = KlPenalty.exact(z, ref);
      terms.forward().add(terms.reverse()).sum().backward();
      assertThat(ref.grad().defined()).isFalse();
      assertThat(z.grad().defined()).isTrue();
    }
  }

  @Test
  void sampledEstimatorsAtOneToken() {
    try (var scope = new PointerScope()) {
      // π_θ(a) = 1/2, π_ref(a) = 1/4: r = 1/2
      var terms =
          KlPenalty.sampled(
              T.of(new double[][] {{Math.log(0.5)}}), T.of(new double[][] {{Math.log(0.25)}}));
      assertThat(T.scalar(terms.forward()))
          .isCloseTo(0.5 + Math.log(2) - 1, within(1e-12)); // 0.193147
      assertThat(T.scalar(terms.reverse()))
          .isCloseTo(-0.5 * Math.log(2) + 0.5, within(1e-12)); // 0.153426
    }
  }

  /** E_{a~π_θ}[estimator] summed exactly over the vocabulary equals the exact KL: unbiasedness. */
  @Test
  void sampledEstimatorsAreUnbiasedUnderThePolicy() {
    try (var scope = new PointerScope()) {
      long[] all = {0, 1, 2};
      Tensor policy = T.of(new double[][][] {{logits(P, 0), logits(P, 0), logits(P, 0)}});
      Tensor ref = T.of(new double[][][] {{logits(Q, 0), logits(Q, 0), logits(Q, 0)}});
      var k3 =
          new KlPenalty(0.02, 0.01, KlEstimator.K3).terms(policy, ref, T.ids(new long[][] {all}));
      double[] f = T.flat(k3.forward()), r = T.flat(k3.reverse());
      double ef = 0, er = 0;
      for (int v = 0; v < 3; v++) {
        assertThat(f[v]).isGreaterThanOrEqualTo(0);
        assertThat(r[v]).isGreaterThanOrEqualTo(0);
        ef += P[v] * f[v];
        er += P[v] * r[v];
      }
      assertThat(ef).isCloseTo(0.7 * Math.log(1.75) + 0.3 * Math.log(0.5), within(1e-12));
      assertThat(er).isCloseTo(0.4 * Math.log(4.0 / 7) + 0.6 * Math.log(2.0), within(1e-12));
    }
  }

  @Test
  void penaltyWeighsTheTwoTerms() {
    try (var scope = new PointerScope()) {
      Tensor policy = T.of(new double[][][] {{logits(P, 0)}});
      Tensor ref = T.of(new double[][][] {{logits(Q, 0)}});
      var penalty = new KlPenalty(0.02, 0.01, KlEstimator.EXACT);
      Tensor perToken = penalty.perToken(penalty.terms(policy, ref, T.ids(new long[][] {{0}})));
      double expected =
          0.02 * (0.7 * Math.log(1.75) + 0.3 * Math.log(0.5))
              + 0.01 * (0.4 * Math.log(4.0 / 7) + 0.6 * Math.log(2.0));
      assertThat(T.scalar(perToken)).isCloseTo(expected, within(1e-12));
    }
  }

  @Test
  void badInputIsRejectedWithNames() {
    try (var scope = new PointerScope()) {
      Tensor a = T.of(new double[][][] {{{0, 0, 0}}});
      Tensor b = T.of(new double[][][] {{{0, 0}}});
      assertThatThrownBy(() -> KlPenalty.exact(a, b))
          .hasMessageContaining("refLogits")
          .hasMessageContaining("[1, 1, 2]");
      assertThatThrownBy(() -> new KlPenalty(-1, 0, KlEstimator.EXACT))
          .hasMessageContaining("rl.kl.forward");
      assertThatThrownBy(() -> KlEstimator.parse("k2"))
          .hasMessageContaining("rl.kl.estimator")
          .hasMessageContaining("exact, k3");
      assertThat(KlEstimator.parse("K3")).isEqualTo(KlEstimator.K3);
    }
  }

  private static Tensor objective(Tensor z, Tensor ref, Tensor weights, boolean forward) {
    KlPenalty.Terms terms = KlPenalty.exact(z, ref);
    Tensor kl = forward ? terms.forward() : terms.reverse();
    return kl.mul(weights).sum();
  }

  static Tensor randomLogits(Random rnd, int b, int t, int v) {
    double[] x = new double[b * t * v];
    for (int i = 0; i < x.length; i++) x[i] = 2 * rnd.nextGaussian();
    return Tensor.create(x, b, t, v);
  }
}
