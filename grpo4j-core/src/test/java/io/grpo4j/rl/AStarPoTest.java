package io.grpo4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class AStarPoTest {

  /** The formula written out, with no guard against overflow: the brute-force reference. */
  private static double naive(double[] r, double beta1) {
    double s = 0;
    for (double x : r) s += Math.exp(x / beta1);
    return beta1 * Math.log(s / r.length);
  }

  @Test
  void optimalValueByHand() {
    // 0.5·ln((e^0 + e^2)/2) = 0.5·ln((1 + 7.3890561)/2) = 0.5·ln(4.1945280) = 0.5·1.4337808
    assertThat(AStarPo.optimalValue(new double[] {0, 1}, 0.5)).isCloseTo(0.7168904, within(1e-7));
    // 1·ln((3·e^0 + e^1)/4) = ln(5.7182818/4) = ln(1.4295705) = 0.3573740
    assertThat(AStarPo.optimalValue(new double[] {0, 0, 0, 1}, 1.0))
        .isCloseTo(0.3573740, within(1e-7));
    // all rewards equal: V* is that reward for any β1
    assertThat(AStarPo.optimalValue(new double[] {-0.2, -0.2, -0.2}, 0.5))
        .isCloseTo(-0.2, within(1e-15));
  }

  @Test
  void optimalValueMatchesTheNaiveFormulaAndLiesBetweenMeanAndMax() {
    Random rnd = new Random(7);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + rnd.nextInt(16);
      double[] r = new double[n];
      double mean = 0, max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < n; i++) {
        r[i] = rnd.nextDouble() * 2 - 0.5;
        mean += r[i] / n;
        max = Math.max(max, r[i]);
      }
      double beta1 = 0.05 + 3 * rnd.nextDouble();
      double v = AStarPo.optimalValue(r, beta1);
      assertThat(v).isCloseTo(naive(r, beta1), within(1e-12));
      assertThat(v).isBetween(mean - 1e-12, max + 1e-12); // Jensen: soft max of the rewards
    }
  }

  @Test
  void smallBeta1GivesTheMaximumLargeBeta1TheMean() {
    double[] r = {0.1, -0.2, 1.0, 0.0, 0.3};
    // β1 → 0: max r + β1·ln(1/N + ...) → max r (within β1·ln N)
    assertThat(AStarPo.optimalValue(r, 1e-4)).isCloseTo(1.0, within(1e-4 * Math.log(5) + 1e-12));
    assertThat(AStarPo.optimalValue(r, 1e-4)).isLessThan(1.0);
    // β1 → ∞: ln mean exp(r/β1) ≈ mean(r)/β1 + var(r)/(2β1²) → mean r
    assertThat(AStarPo.optimalValue(r, 1e6)).isCloseTo(0.24, within(1e-6));
  }

  @Test
  void largeRewardsOverBeta1DoNotOverflow() {
    // exp(1000/0.5) overflows a double; the stable form gives 1000 + 0.5·ln(1/2)
    double v = AStarPo.optimalValue(new double[] {1000, 0}, 0.5);
    assertThat(v).isCloseTo(1000 + 0.5 * Math.log(0.5), within(1e-9));
    assertThat(Double.isNaN(naive(new double[] {1000, 0}, 0.5))).isFalse(); // ∞, not the answer
    assertThat(naive(new double[] {1000, 0}, 0.5)).isInfinite();
  }

  @Test
  void tensorFormEqualsTheScalarFormPerRow() {
    try (var scope = new PointerScope()) {
      double[][] r = {{0, 1, 0, 0}, {-0.2, 0.1, 1.0, 1.0}, {0.5, 0.5, 0.5, 0.5}};
      double[] v = T.flat(AStarPo.optimalValue(T.of(r), 0.5));
      for (int i = 0; i < r.length; i++) {
        assertThat(v[i]).as("row %d", i).isCloseTo(AStarPo.optimalValue(r[i], 0.5), within(1e-12));
      }
    }
  }

  /**
   * Two rows, β2 = 0.5. Row 0: log-ratio (−1 + 1.5) + (−2 + 1.5) = 0, advantage 1 − 0.25 = 0.75,
   * residual −0.75. Row 1: only its first token is real: log-ratio −0.5 + 1 = 0.5, advantage 0 −
   * 0.25, residual 0.5·0.5 + 0.25 = 0.5. L = (0.5625 + 0.25)/2 = 0.40625; dL/dlogp = (2β2/B)·res·m
   * = 0.5·res·m.
   */
  @Test
  void lossAndGradientByHand() {
    try (var scope = new PointerScope()) {
      Tensor logProbs = T.of(new double[][] {{-1, -2}, {-0.5, -3}}).set_requires_grad(true);
      Tensor ref = T.of(new double[][] {{-1.5, -1.5}, {-1, -7}});
      Tensor mask = T.of(new double[][] {{1, 1}, {1, 0}});
      Tensor r = io.grpo4j.torch.Tensors.doubles(1.0, 0.0);
      Tensor v = io.grpo4j.torch.Tensors.doubles(0.25, 0.25);
      var result = new AStarPo(8, 0.5, 0.5, 16, false).loss(logProbs, ref, mask, r, v);
      assertThat(T.flat(result.logRatio())).containsExactly(new double[] {0, 0.5}, within(1e-12));
      assertThat(T.flat(result.residual()))
          .containsExactly(new double[] {-0.75, 0.5}, within(1e-12));
      assertThat(T.scalar(result.loss())).isCloseTo(0.40625, within(1e-12));
      result.loss().backward();
      T.assertRows(logProbs.grad(), new double[][] {{-0.375, -0.375}, {0.25, 0}});
    }
  }

  /**
   * The optimum: one-token completions over 4 tokens, π_ref uniform, rewards r(y). With the 4
   * completions as stage 1's N = 4 samples, V̂* is the exact V* = β·ln E_{π_ref} exp(r/β), and the
   * policy π* ∝ π_ref·exp(r/β) has residual 0 on every completion when β1 = β2 = β; any other
   * policy has a positive loss.
   */
  @Test
  void theKlRegularisedOptimumHasZeroLoss() {
    try (var scope = new PointerScope()) {
      double beta = 0.3;
      double[] reward = {1.0, 0.0, -0.2, 0.1};
      double vStar = AStarPo.optimalValue(reward, beta);
      double[] logits = new double[4];
      double norm = 0;
      for (int y = 0; y < 4; y++) norm += 0.25 * Math.exp(reward[y] / beta);
      double[][] logPi = new double[4][1];
      double[][] logRef = new double[4][1];
      for (int y = 0; y < 4; y++) {
        logits[y] = Math.log(0.25 * Math.exp(reward[y] / beta) / norm);
        logPi[y][0] = logits[y];
        logRef[y][0] = Math.log(0.25);
      }
      var astar = new AStarPo(4, beta, beta, 4, false);
      Tensor mask = T.of(new double[][] {{1}, {1}, {1}, {1}});
      Tensor r = io.grpo4j.torch.Tensors.doubles(reward);
      Tensor v = io.grpo4j.torch.Tensors.doubles(vStar, vStar, vStar, vStar);
      var atOptimum = astar.loss(T.of(logPi), T.of(logRef), mask, r, v);
      assertThat(T.scalar(atOptimum.loss())).isCloseTo(0, within(1e-24));
      var atReference = astar.loss(T.of(logRef), T.of(logRef), mask, r, v);
      assertThat(T.scalar(atReference.loss())).isGreaterThan(0.01);
    }
  }

  @Test
  void badSettingsAndShapesAreNamed() {
    assertThatThrownBy(() -> new AStarPo(0, 0.5, 1e-3, 8, false))
        .hasMessageContaining("rl.astar.samples");
    assertThatThrownBy(() -> new AStarPo(8, 0, 1e-3, 8, false))
        .hasMessageContaining("rl.astar.beta1");
    assertThatThrownBy(() -> new AStarPo(8, 0.5, Double.NaN, 8, false))
        .hasMessageContaining("rl.astar.beta2");
    assertThatThrownBy(() -> new AStarPo(8, 0.5, 1e-3, 0, false))
        .hasMessageContaining("rl.astar.prompts");
    assertThatThrownBy(() -> AStarPo.optimalValue(new double[0], 0.5))
        .hasMessageContaining("at least one reward");
    try (var scope = new PointerScope()) {
      Tensor lp = T.of(new double[][] {{0, 0}});
      Tensor r = io.grpo4j.torch.Tensors.doubles(1.0, 0.0);
      assertThatThrownBy(() -> AStarPo.DEFAULTS.loss(lp, lp, lp, r, r))
          .hasMessageContaining("one entry per row");
    }
  }
}
