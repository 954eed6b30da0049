package io.grpo4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/** Entropy, token log-probabilities and the entropy-shaped token reward. */
class EntropyTest {

  @Test
  void entropyOfUniformIsLogVAndOfOneHotIsZero() {
    try (var scope = new PointerScope()) {
      double[] uniform = new double[50];
      double[] oneHot = new double[50];
      java.util.Arrays.fill(oneHot, -1e4);
      oneHot[7] = 0;
      double[] half = {Math.log(0.5), Math.log(0.25), Math.log(0.25)};
      double[] h = T.flat(Entropy.ofLogits(T.of(new double[][][] {{uniform, oneHot}})));
      assertThat(h[0]).isCloseTo(Math.log(50), within(1e-12));
      assertThat(h[1]).isCloseTo(0.0, within(1e-12));
      // H(1/2, 1/4, 1/4) = ½ ln 2 + ½ ln 4 = 1.5 ln 2
      assertThat(T.scalar(Entropy.ofLogits(T.of(new double[][][] {{half}}))))
          .isCloseTo(1.5 * Math.log(2), within(1e-12));
    }
  }

  @Test
  void bf16LogitsAreComputedInFloat32() {
    try (var scope = new PointerScope()) {
      Tensor logits = T.of(new double[][][] {{new double[64]}}).to(ScalarType.BFloat16);
      Tensor h = Entropy.ofLogits(logits);
      assertThat(h.scalar_type().intern()).isEqualTo(ScalarType.Float);
      assertThat(T.scalar(h)).isCloseTo(Math.log(64), within(1e-5));
    }
  }

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
