package io.grpo4j.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpo4j.torch.Tensors;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class SamplingPipelineTest {
  private static SamplingParams params(double t, int k, double p) {
    return new SamplingParams(t, k, p, false, 4, Set.of(), 1);
  }

  private static Tensor logits(double... probs) {
    float[] z = new float[probs.length];
    for (int i = 0; i < z.length; i++) z[i] = (float) Math.log(probs[i]);
    return Tensors.floats(z).reshape(1, z.length);
  }

  @Test
  void vocabularyChecksPromptsAndMasksTheUnsamplableTail() {
    assertThatThrownBy(() -> new Vocabulary(10, 11)).hasMessageContaining("must be in 1..10");
    assertThatThrownBy(() -> new Vocabulary(10, 0)).hasMessageContaining("must be in 1..10");
    Vocabulary v = new Vocabulary(5, 3);
    v.checkPrompt(new int[] {0, 4});
    assertThatThrownBy(() -> v.checkPrompt(new int[] {1, 5}))
        .hasMessage("prompt token id 5 outside the vocabulary 0..4");
    try (PointerScope s = new PointerScope()) {
      Tensor z = logits(0.1, 0.2, 0.3, 0.2, 0.2);
      float[] masked = Tensors.toFloats(v.mask(z));
      assertThat(masked[2]).isEqualTo((float) Math.log(0.3));
      assertThat(masked[3]).isEqualTo(Float.NEGATIVE_INFINITY);
      assertThat(masked[4]).isEqualTo(Float.NEGATIVE_INFINITY);
      assertThat(Tensors.toFloats(z)[4]).as("the input is not changed").isFinite();
      assertThat(new Vocabulary(5, 5).mask(z).equal(z)).isTrue();
    }
  }

  @Test
  void warperMatchesHandComputedTemperatureTopKAndTopP() {
    try (PointerScope s = new PointerScope()) {
      Tensor z = logits(0.1, 0.2, 0.3, 0.4);
      float[] hot = Tensors.toFloats(LogitsWarper.warp(z, params(2.0, 0, 1.0), 4));
      assertThat(hot[0])
          .isCloseTo((float) (Math.log(0.1) / 2), org.assertj.core.data.Offset.offset(1e-6f));
      // top-2 keeps 0.3 and 0.4
      float[] k2 = Tensors.toFloats(LogitsWarper.warp(z, params(1.0, 2, 1.0), 4));
      assertThat(k2[0]).isEqualTo(Float.NEGATIVE_INFINITY);
      assertThat(k2[1]).isEqualTo(Float.NEGATIVE_INFINITY);
      assertThat(k2[2]).isEqualTo((float) Math.log(0.3));
      // sorted 0.4, 0.3, 0.2, 0.1: mass before each 0, 0.4, 0.7, 0.9; p = 0.5 keeps 0.4 and 0.3
      float[] p5 = Tensors.toFloats(LogitsWarper.warp(z, params(1.0, 0, 0.5), 4));
      assertThat(p5)
          .containsExactly(
              Float.NEGATIVE_INFINITY,
              Float.NEGATIVE_INFINITY,
              (float) Math.log(0.3),
              (float) Math.log(0.4));
      // p = 0.35 keeps only the most likely token
      float[] p35 = Tensors.toFloats(LogitsWarper.warp(z, params(1.0, 0, 0.35), 4));
      assertThat(p35[2]).isEqualTo(Float.NEGATIVE_INFINITY);
      assertThat(p35[3]).isEqualTo((float) Math.log(0.4));
    }
  }

  @Test
  void oneRowDrawsTheSameTokenAloneAndInABatchWithTheSameSeed() {
    try (PointerScope s = new PointerScope()) {
      Tensor z = torch.randn(new long[] {1, 50}).mul(new org.bytedeco.pytorch.Scalar(3.0));
      for (long seed = 0; seed < 20; seed++) {
        Generator batched = torch.createCPUGenerator(seed);
        Generator alone = torch.createCPUGenerator(seed);
        long a =
            CategoricalSampler.draw(z.expand(3, 50).contiguous(), batched).select(0, 0).item_long();
        long b = CategoricalSampler.draw(z, alone).item_long();
        assertThat(a).as("seed %d", seed).isEqualTo(b);
      }
      assertThat(CategoricalSampler.argmax(logits(0.1, 0.6, 0.3)).item_long()).isEqualTo(1);
    }
  }
}
