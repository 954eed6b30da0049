package io.grpo4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class LossAggregationTest {
  /** Four rows of width 3: 2, 1, 0 and 3 valid tokens (6 tokens, 3 non-empty rows). */
  private static final double[][] MASK = {{1, 1, 0}, {1, 0, 0}, {0, 0, 0}, {1, 1, 1}};

  private static final double[][] LOSS = {{1, 2, 9}, {4, 9, 9}, {9, 9, 9}, {8, 16, 32}};

  /** The micro-batch's share of the batch whose completion mask is {@code batchMask}. */
  private static double weight(LossAggregation a, Tensor microMask, Tensor batchMask) {
    return a.microBatchWeight(microMask, a.size(batchMask));
  }

  @Test
  void microBatchWeightsAreHandComputedShares() {
    try (var scope = new PointerScope()) {
      Tensor batch = T.of(MASK);
      Tensor micro = T.of(new double[][] {MASK[0], MASK[2]}); // 2 tokens, 1 non-empty row, 2 rows
      assertThat(weight(LossAggregation.TOKEN, micro, batch)).isEqualTo(2.0 / 6);
      assertThat(weight(LossAggregation.SEQUENCE, micro, batch)).isEqualTo(1.0 / 3);
      assertThat(weight(LossAggregation.CONSTANT, micro, batch)).isEqualTo(2.0 / 4);
    }
  }

  /**
   * Σ_micro w·reduce(micro) = reduce(batch) when the micro-batches are trimmed to their own widths:
   * by hand, TOKEN (1+2+4+8+16+32)/6 = 10.5, SEQUENCE (1.5 + 4 + 56/3)/3, CONSTANT 63/(4·5) with C
   * = sampling.max_new_tokens = 5, wider than any row.
   */
  @Test
  void weightedMicroBatchesSumToTheWholeBatchLoss() {
    double[] expected = {10.5, (1.5 + 4 + 56.0 / 3) / 3, 63.0 / 20};
    LossAggregation[] modes = {
      LossAggregation.TOKEN, LossAggregation.SEQUENCE, LossAggregation.CONSTANT
    };
    try (var scope = new PointerScope()) {
      Tensor batchMask = T.of(MASK);
      for (int i = 0; i < modes.length; i++) {
        LossAggregation a = modes[i];
        double whole = T.scalar(a.reduce(T.of(LOSS), batchMask, 5));
        // rows {0, 1} trimmed to width 2, rows {2, 3} at width 3
        double[][] m1 = {{1, 1}, {1, 0}};
        double[][] l1 = {{1, 2}, {4, 9}};
        double[][] m2 = {MASK[2], MASK[3]};
        double[][] l2 = {LOSS[2], LOSS[3]};
        double sum =
            weight(a, T.of(m1), batchMask) * T.scalar(a.reduce(T.of(l1), T.of(m1), 5))
                + weight(a, T.of(m2), batchMask) * T.scalar(a.reduce(T.of(l2), T.of(m2), 5));
        assertThat(whole).as(a.configName()).isCloseTo(expected[i], within(1e-12));
        assertThat(sum).as(a.configName()).isCloseTo(expected[i], within(1e-12));
      }
    }
  }
}
