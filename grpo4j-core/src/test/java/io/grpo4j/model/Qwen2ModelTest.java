package io.grpo4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpo4j.torch.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class Qwen2ModelTest {

  /**
   * An independent, naive Qwen2 forward for one unpadded sequence: explicit per-head attention with
   * a triangular mask, GQA by indexing the shared KV head, and RoPE written as a rotation of the
   * pairs (x_i, x_{i+d/2}) with angles from Java's Math.
   */
  static Tensor referenceLogits(Qwen2Model m, int[] ids) {
    Qwen2Config c = m.config();
    Map<String, Tensor> p = m.parameters();
    int t = ids.length;
    int d = c.headDim();
    long[] idl = new long[t];
    for (int i = 0; i < t; i++) idl[i] = ids[i];
    Tensor x = p.get("model.embed_tokens.weight").index_select(0, Tensors.longs(idl));
    double[] cos = new double[t * d / 2];
    double[] sin = new double[t * d / 2];
    for (int pos = 0; pos < t; pos++) {
      for (int i = 0; i < d / 2; i++) {
        double angle = pos * Math.pow(c.ropeTheta(), -2.0 * i / d);
        cos[pos * d / 2 + i] = Math.cos(angle);
        sin[pos * d / 2 + i] = Math.sin(angle);
      }
    }
    Tensor cosT = Tensors.doubles(cos).reshape(t, 1, d / 2);
    Tensor sinT = Tensors.doubles(sin).reshape(t, 1, d / 2);
    Tensor causal =
        torch
            .triu(torch.ones(new long[] {t, t}).to(torch.ScalarType.Double), 1)
            .mul(new Scalar(-1e30));
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      String pre = "model.layers." + l + ".";
      Tensor h = norm(x, p.get(pre + "input_layernorm.weight"), c.rmsNormEps());
      Tensor q =
          h.matmul(p.get(pre + "self_attn.q_proj.weight").t())
              .add(p.get(pre + "self_attn.q_proj.bias"))
              .reshape(t, c.numAttentionHeads(), d);
      Tensor k =
          h.matmul(p.get(pre + "self_attn.k_proj.weight").t())
              .add(p.get(pre + "self_attn.k_proj.bias"))
              .reshape(t, c.numKeyValueHeads(), d);
      Tensor v =
          h.matmul(p.get(pre + "self_attn.v_proj.weight").t())
              .add(p.get(pre + "self_attn.v_proj.bias"))
              .reshape(t, c.numKeyValueHeads(), d);
      q = rotatePairs(q, cosT, sinT);
      k = rotatePairs(k, cosT, sinT);
      List<Tensor> heads = new ArrayList<>();
      for (int hd = 0; hd < c.numAttentionHeads(); hd++) {
        int g = hd / c.groups();
        Tensor qh = q.select(1, hd);
        Tensor kh = k.select(1, g);
        Tensor vh = v.select(1, g);
        Tensor scores = qh.matmul(kh.t()).div(new Scalar(Math.sqrt(d))).add(causal);
        heads.add(torch.softmax(scores, -1).matmul(vh));
      }
      Tensor attn = torch.cat(new TensorVector(heads.toArray(new Tensor[0])), 1);
      x = x.add(attn.matmul(p.get(pre + "self_attn.o_proj.weight").t()));
      h = norm(x, p.get(pre + "post_attention_layernorm.weight"), c.rmsNormEps());
      Tensor gate = h.matmul(p.get(pre + "mlp.gate_proj.weight").t());
      Tensor silu = gate.mul(torch.sigmoid(gate));
      x =
          x.add(
              silu.mul(h.matmul(p.get(pre + "mlp.up_proj.weight").t()))
                  .matmul(p.get(pre + "mlp.down_proj.weight").t()));
    }
    x = norm(x, p.get("model.norm.weight"), c.rmsNormEps());
    return x.matmul(p.get("model.embed_tokens.weight").t());
  }

  private static Tensor norm(Tensor x, Tensor w, double eps) {
    Tensor rms =
        x.mul(x).mean(new long[] {-1}, true, new ScalarTypeOptional()).add(new Scalar(eps)).sqrt();
    return x.div(rms).mul(w);
  }

  private static Tensor rotatePairs(Tensor x, Tensor cos, Tensor sin) {
    long half = x.size(-1) / 2;
    Tensor a = x.narrow(-1, 0, half);
    Tensor b = x.narrow(-1, half, half);
    return torch.cat(new TensorVector(a.mul(cos).sub(b.mul(sin)), b.mul(cos).add(a.mul(sin))), -1);
  }

  static Tensor logitsOf(Qwen2Model m, long[][] ids, long[][] valid) {
    Tensor v = Tensors.longs(valid).to(torch.ScalarType.Bool);
    return MicroModels.logits(m, Tensors.longs(ids), v);
  }

  @Test
  void forwardMatchesNaiveReferenceInFloat64() {
    try (PointerScope s = new PointerScope()) {
      Qwen2Model m = MicroModels.toDouble(MicroModels.random(MicroModels.config(2), 7));
      int[] ids = {3, 17, 5, 42, 8, 0, 33, 21, 9};
      long[][] row = {new long[ids.length]};
      long[][] valid = {new long[ids.length]};
      for (int i = 0; i < ids.length; i++) {
        row[0][i] = ids[i];
        valid[0][i] = 1;
      }
      double[] got = Tensors.toDoubles(logitsOf(m, row, valid));
      double[] want = Tensors.toDoubles(referenceLogits(m, ids));
      assertThat(got).hasSameSizeAs(want);
      double maxAbs = 0;
      for (int i = 0; i < got.length; i++) maxAbs = Math.max(maxAbs, Math.abs(got[i] - want[i]));
      assertThat(maxAbs).isLessThan(1e-9);
      // and the logits are not trivially constant
      assertThat(Math.abs(want[0] - want[1])).isGreaterThan(1e-3);
    }
  }

  @Test
  void logitsOfAPromptDoNotDependOnLongerPromptsInItsBatch() {
    try (PointerScope s = new PointerScope()) {
      Qwen2Model m = MicroModels.random(MicroModels.config(2), 11);
      long[] shortIds = {5, 6, 7, 8};
      long[] longIds = {1, 2, 3, 4, 9, 10, 11, 12, 13, 14};
      float[] alone =
          Tensors.toFloats(logitsOf(m, new long[][] {shortIds}, new long[][] {{1, 1, 1, 1}}));
      long[] padded = new long[10];
      long[] padValid = new long[10];
      for (int i = 0; i < 4; i++) {
        padded[6 + i] = shortIds[i];
        padValid[6 + i] = 1;
      }
      Tensor batch =
          logitsOf(
              m,
              new long[][] {padded, longIds},
              new long[][] {padValid, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}});
      float[] inBatch = Tensors.toFloats(batch.select(0, 0).narrow(0, 6, 4));
      assertThat(inBatch).hasSameSizeAs(alone);
      for (int i = 0; i < alone.length; i++)
        assertThat(inBatch[i]).isCloseTo(alone[i], org.assertj.core.data.Offset.offset(1e-5f));
    }
  }

  @Test
  void gradientOfADecoderLayerMatchesCentralDifferencesInFloat64() {
    try (PointerScope s = new PointerScope()) {
      Qwen2Model m = MicroModels.toDouble(MicroModels.random(MicroModels.config(1), 3));
      m.setRequiresGrad(true);
      long[][] ids = {{4, 8, 15, 16, 23, 42}, {1, 2, 3, 5, 8, 13}};
      long[][] valid = {{0, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1}};
      torch.manual_seed(5);
      Tensor probe = torch.randn(new long[] {2, 6, 50}).to(torch.ScalarType.Double);
      Tensor loss = logitsOf(m, ids, valid).mul(probe).sum();
      loss.backward();
      String[] names = {
        "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.bias",
        "model.layers.0.self_attn.v_proj.weight", "model.layers.0.self_attn.o_proj.weight",
        "model.layers.0.input_layernorm.weight", "model.layers.0.mlp.gate_proj.weight",
        "model.layers.0.mlp.down_proj.weight", "model.layers.0.post_attention_layernorm.weight",
        "model.embed_tokens.weight"
      };
      double eps = 1e-6;
      int checked = 0;
      for (String name : names) {
        Tensor w = m.parameters().get(name);
        double[] grad = Tensors.toDoubles(w.grad());
        Tensor flat = w.detach().view(-1);
        for (int idx : new int[] {0, 7, (int) flat.numel() / 2, (int) flat.numel() - 1}) {
          double orig = flat.get(idx).item_double();
          double up;
          double down;
          try (var ng = new org.bytedeco.pytorch.NoGradGuard()) {
            flat.get(idx).fill_(new Scalar(orig + eps));
            up = logitsOf(m, ids, valid).mul(probe).sum().item_double();
            flat.get(idx).fill_(new Scalar(orig - eps));
            down = logitsOf(m, ids, valid).mul(probe).sum().item_double();
            flat.get(idx).fill_(new Scalar(orig));
          }
          double numeric = (up - down) / (2 * eps);
          assertThat(grad[idx])
              .as("%s[%d]", name, idx)
              .isCloseTo(
                  numeric, org.assertj.core.data.Offset.offset(1e-6 + 1e-5 * Math.abs(numeric)));
          checked++;
        }
      }
      assertThat(checked).isEqualTo(names.length * 4);
    }
  }
}
