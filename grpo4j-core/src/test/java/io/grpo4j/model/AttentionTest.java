package io.grpo4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpo4j.torch.Tensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CPU attention ({@link Qwen2Model#attention}, query heads grouped under their KV head,
 * additive mask) against libtorch's own {@code scaled_dot_product_attention} with the bool mask and
 * {@code enable_gqa}: values and gradients, for prefill shapes with left padding and for a decode
 * step reading a KV cache in place (a narrowed view of a larger buffer).
 */
class AttentionTest {

  @ParameterizedTest(name = "heads {0}, kv heads {1}, {2} queries over {3} keys")
  @CsvSource({"4, 2, 7, 7", "4, 4, 7, 7", "6, 2, 5, 5", "4, 2, 1, 9", "6, 3, 3, 11"})
  void equalsLibtorchSdpaInValueAndGradient(int heads, int kvHeads, int t, int s) {
    try (PointerScope scope = new PointerScope()) {
      Qwen2Model model = MicroModels.toDouble(MicroModels.random(config(heads, kvHeads), 1));
      torch.manual_seed(3);
      int d = 8;
      Tensor q = torch.randn(2, heads, t, d).to(torch.ScalarType.Double).requires_grad_(true);
      // k and v live in a longer buffer, as in a KV cache: the attention reads a non-contiguous
      // view.
      Tensor kBuf =
          torch.randn(2, kvHeads, s + 4, d).to(torch.ScalarType.Double).requires_grad_(true);
      Tensor vBuf =
          torch.randn(2, kvHeads, s + 4, d).to(torch.ScalarType.Double).requires_grad_(true);
      Tensor k = kBuf.narrow(2, 0, s);
      Tensor v = vBuf.narrow(2, 0, s);
      long[][] valid = new long[2][s];
      for (int j = 0; j < s; j++) {
        valid[0][j] = j < 2 ? 0 : 1; // row 0 is left-padded by two positions
        valid[1][j] = 1;
      }
      Tensor mask = AttentionMask.of(Tensors.longs(valid).to(torch.ScalarType.Bool), t);

      Tensor ours = model.attention(q, k, v, model.attentionMask(mask));
      Tensor theirs =
          torch.scaled_dot_product_attention(
              q,
              k,
              v,
              new TensorOptional(mask),
              0.0,
              false,
              new DoubleOptional(),
              heads != kvHeads);
      assertThat(Tensors.shape(ours)).containsExactly(Tensors.shape(theirs));
      assertThat(maxAbsDiff(ours, theirs)).isLessThan(1e-12);

      Tensor w = torch.randn(Tensors.shape(ours)).to(torch.ScalarType.Double);
      Tensor[] oursGrad = grads(ours.mul(w).sum(), q, kBuf, vBuf);
      Tensor[] theirsGrad = grads(theirs.mul(w).sum(), q, kBuf, vBuf);
      for (int i = 0; i < 3; i++) {
        assertThat(oursGrad[i].abs().max().item_double())
            .as("gradient %d is not trivially zero", i)
            .isGreaterThan(1e-3);
        assertThat(maxAbsDiff(oursGrad[i], theirsGrad[i])).as("gradient %d", i).isLessThan(1e-12);
      }
    }
  }

  private static Qwen2Config config(int heads, int kvHeads) {
    Qwen2Config c = MicroModels.config(1);
    return new Qwen2Config(
        c.vocabSize(),
        heads * 8,
        c.intermediateSize(),
        1,
        heads,
        kvHeads,
        8,
        c.maxPositionEmbeddings(),
        c.ropeTheta(),
        c.rmsNormEps(),
        c.tieWordEmbeddings(),
        c.initializerRange(),
        c.bosTokenId(),
        c.eosTokenIds(),
        c.torchDtype());
  }

  private static Tensor[] grads(Tensor loss, Tensor... leaves) {
    for (Tensor l : leaves) {
      if (l.grad().defined()) l.mutable_grad().zero_();
    }
    loss.backward();
    Tensor[] out = new Tensor[leaves.length];
    for (int i = 0; i < leaves.length; i++) out[i] = leaves[i].grad().clone();
    return out;
  }

  private static double maxAbsDiff(Tensor a, Tensor b) {
    return a.sub(b).abs().max().item_double();
  }
}
