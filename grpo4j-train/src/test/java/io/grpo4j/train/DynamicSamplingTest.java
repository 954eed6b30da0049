package io.grpo4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpo4j.eval.ScoredSample;
import io.grpo4j.generate.Sample;
import io.grpo4j.task.Outcome;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DynamicSamplingTest {
  private static List<ScoredSample> groups(double[][] rewards) {
    List<ScoredSample> out = new ArrayList<>();
    for (int g = 0; g < rewards.length; g++) {
      for (double r : rewards[g]) {
        Sample s =
            new Sample(
                g,
                new int[] {1},
                new int[] {2},
                new float[] {0},
                new float[] {0},
                Sample.FinishReason.STOP);
        out.add(new ScoredSample(s, "", new double[] {r}, new Outcome(r, r == 1, "")));
      }
    }
    return out;
  }

  @Test
  void keepsTheFirstGroupsWhoseRewardsDiffer() {
    var kept =
        DynamicSampling.keep(
            groups(new double[][] {{1, 1}, {1, 0}, {-0.2, -0.2}, {0.1, -0.2}, {0, 1}}), 2, 2);
    assertThat(kept.stream().map(s -> s.sample().promptIndex()).toList())
        .containsExactly(1, 1, 3, 3);
    // fewer varied groups than wanted: all of them
    assertThat(DynamicSampling.keep(groups(new double[][] {{1, 1}, {1, 0}}), 2, 2)).hasSize(2);
    // none varied: the first group, so the step still has something to train on
    var none = DynamicSampling.keep(groups(new double[][] {{1, 1}, {0, 0}}), 2, 2);
    assertThat(none.stream().map(s -> s.sample().promptIndex()).toList()).containsExactly(0, 0);
  }

  @Test
  void entropyQuantileIsTheNearestRankFromBelow() {
    assertThat(CreditMetrics.quantile(new double[] {5, 1, 4, 2, 3}, 0.8)).isEqualTo(4.0);
    assertThat(CreditMetrics.quantile(new double[] {}, 0.8)).isZero();
  }
}
