package io.grpo4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** The masked-diffusion pieces of the rl room against hand-computed values. */
class DiffusionRlTest {

  /**
   * Two rows, L = 2, V = 3. Row 0: t = 0.5, position 0 masked, logits (0, ln 2, ln 5) with target
   * 2: −log p = −log(5/8) = log 1.6. Row 1: t = 1, both masked; position 0 logits (0, 0, 0) → log
   * 3, target 1; position 1 logits (ln 3, 0, 0) target 0 → −log(3/5) = log(5/3). Row 0 also has an
   * unmasked position whose huge loss must not count.
   *
   * <pre>L = ½·[ (1/2)·log 1.6 / 0.5  +  (1/2)·(log 3 + log 5/3) / 1 ]</pre>
   */
  @Test
  void sftLossMatchesAHandComputedCase() {
    try (PointerScope s = new PointerScope()) {
      double ln2 = Math.log(2), ln5 = Math.log(5), ln3 = Math.log(3);
      Tensor logits =
          T.of(new double[][][] {{{0, ln2, ln5}, {50, -50, 0}}, {{0, 0, 0}, {ln3, 0, 0}}});
      Tensor targets = T.ids(new long[][] {{2, 1}, {1, 0}});
      Tensor masked = T.of(new double[][] {{1, 0}, {1, 1}});
      Tensor noise = org.bytedeco.pytorch.Tensor.create(new double[] {0.5, 1.0}, 2);
      double want =
          0.5 * (0.5 * Math.log(1.6) / 0.5 + 0.5 * (Math.log(3) + Math.log(5.0 / 3)) / 1.0);
      assertThat(T.scalar(MaskedDiffusionLoss.sft(logits, targets, masked, noise)))
          .isCloseTo(want, within(1e-12));
      assertThatThrownBy(
              () ->
                  MaskedDiffusionLoss.sft(
                      logits, targets, masked, Tensor.create(new double[] {1}, 1)))
          .hasMessageContaining("one t per row");
    }
  }

  /**
   * G = 2, one group, T = 3 steps. Step rewards d = [[0.1, 0, 0.9], [0.3, 0, -0.1]]: step means
   * (0.2, 0, 0.4), deviations ±0.1, 0, ±0.5; sample std (G − 1) is |a − b|/√2: 0.1414…, 0, 0.7071…
   * With scaling, A = ±(0.1/0.14142) = ±0.70711, 0 (0/(0 + ε)), ±0.70711.
   */
  @Test
  void stepAdvantagesAreNormalisedPerStepAcrossTheGroupAndLandOnCommittedTokens() {
    try (PointerScope s = new PointerScope()) {
      Tensor d = T.of(new double[][] {{0.1, 0, 0.9}, {0.3, 0, -0.1}});
      StepAdvantages raw = new StepAdvantages(false, 1e-4, 0);
      T.assertRows(raw.perStep(d, 2), new double[][] {{-0.1, 0, 0.5}, {0.1, 0, -0.5}});
      StepAdvantages scaled = new StepAdvantages(true, 1e-4, 0);
      double a1 = 0.1 / (0.2 / Math.sqrt(2) + 1e-4);
      double a3 = 0.5 / (1.0 / Math.sqrt(2) + 1e-4);
      Tensor perStep = scaled.perStep(d, 2);
      T.assertRows(perStep, new double[][] {{-a1, 0, a3}, {a1, 0, -a3}});
      // a floor of 0.5 on the std: step 1's 0.1414 becomes 0.5
      T.assertRows(
          new StepAdvantages(true, 1e-4, 0.5).perStep(d, 2).narrow(1, 0, 1),
          new double[][] {{-0.1 / 0.5001}, {0.1 / 0.5001}});
      // positions committed at steps (3, 1, 1, 2) and (2, 3, 1, 1)
      Tensor commit = T.ids(new long[][] {{3, 1, 1, 2}, {2, 3, 1, 1}});
      T.assertRows(
          StepAdvantages.onTokens(perStep, commit),
          new double[][] {{a3, -a1, -a1, 0}, {0, -a3, a1, a1}});
      assertThat(StepAdvantages.fracZeroStdSteps(d, 2)).isCloseTo(1.0 / 3, within(1e-12));
      assertThatThrownBy(() -> scaled.perStep(d, 3)).hasMessageContaining("whole number of groups");
    }
  }

  /** Σ w·L equals reduce(L) for each aggregation, and splitting the tokens splits the sum. */
  @Test
  void tokenWeightsReproduceEveryAggregation() {
    try (PointerScope s = new PointerScope()) {
      double[][] mask = {{1, 1, 0}, {1, 0, 0}, {0, 0, 0}, {1, 1, 1}};
      double[][] loss = {{1, 2, 9}, {4, 9, 9}, {9, 9, 9}, {8, 16, 32}};
      Tensor m = T.of(mask);
      Tensor l = T.of(loss);
      Tensor partA = T.of(new double[][] {{1, 0, 0}, {1, 0, 0}, {0, 0, 0}, {0, 1, 1}});
      for (LossAggregation a : LossAggregation.values()) {
        Tensor w = a.tokenWeights(m, 5);
        double whole = T.scalar(w.mul(l).sum());
        assertThat(whole).as(a.name()).isCloseTo(T.scalar(a.reduce(l, m, 5)), within(1e-12));
        double split =
            T.scalar(w.mul(partA).mul(l).sum()) + T.scalar(w.mul(m.sub(partA)).mul(l).sum());
        assertThat(split).as(a.name()).isCloseTo(whole, within(1e-12));
      }
    }
  }
}
