package io.grpo4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** Token log-probabilities and the entropy-shaped token reward. */
class EntropyTest {

  @Test
  void tokenLogProbsGatherTheLogSoftmaxOfTheTakenToken() {
    try (var scope = new PointerScope()) {
      double[] z0 = {1.0, 2.0, 0.5}, z1 = {-1.0, 0.0, 3.0};
      Tensor logits = T.of(new double[][][] {{z0, z1}});
      double[] lp = T.flat(TokenLogProbs.of(logits, T.ids(new long[][] {{1, 0}})));
      assertThat(lp[0])
          .isCloseTo(2.0 - Math.log(Math.exp(1.0) + Math.exp(2.0) + Math.exp(0.5)), within(1e-12));
      assertThat(lp[1])
          .isCloseTo(
              -1.0 - Math.log(Math.exp(-1.0) + Math.exp(0.0) + Math.exp(3.0)), within(1e-12));
      assertThatThrownBy(() -> TokenLogProbs.of(logits, T.ids(new long[][] {{1, 0, 2}})))
          .hasMessageContaining("tokenIds")
          .hasMessageContaining("[1, 3]");
    }
  }

  @Test
  void entropyRewardIsAlphaPrefPlusBetaDetachedEntropyAndZeroOnPadding() {
    try (var scope = new PointerScope()) {
      Tensor pref = T.of(new double[][] {{1.0, -0.5, 7.0}});
      Tensor entropy = T.of(new double[][] {{0.2, 1.0, 3.0}}).set_requires_grad(true);
      Tensor mask = T.of(new double[][] {{1, 1, 0}});
      Tensor r = new EntropyReward(2.0, 0.5).tokenRewards(pref, entropy, mask);
      assertThat(T.flat(r)).containsExactly(new double[] {2.1, -0.5, 0.0}, within(1e-12));
      assertThat(r.requires_grad()).isFalse();
      assertThatThrownBy(() -> new EntropyReward(Double.NaN, 0))
          .hasMessageContaining("rl.entropy.alpha");
    }
  }
}
