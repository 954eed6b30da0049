package io.grpo4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpo4j.torch.DType;
import io.grpo4j.torch.SafetensorsCheckpoint;
import io.grpo4j.torch.Tensors;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.SequencedMap;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** q/k/v and gate/up stored as one matrix each (Projection.Group), HF names kept. */
class FusedProjectionTest {
  @TempDir Path tmp;

  private static Tensor ids() {
    return Tensors.longs(new long[][] {{0, 3, 7, 11, 2}, {5, 9, 1, 4, 8}});
  }

  private static Tensor valid() {
    return Tensors.longs(new long[][] {{0, 1, 1, 1, 1}, {1, 1, 1, 1, 1}}).to(torch.ScalarType.Bool);
  }

  private static double maxDiff(Tensor a, Tensor b) {
    return a.sub(b).abs().max().item_double();
  }

  @Test
  void theFusedProductEqualsThePartsAndGradientsReachTheParts() {
    try (PointerScope scope = new PointerScope()) {
      Qwen2Model m = MicroModels.random(MicroModels.config(2), 3);
      m.setRequiresGrad(true);
      Tensor trained = MicroModels.logits(m, ids(), valid()); // parts: autograd records
      trained.square().sum().backward();
      for (String p : new String[] {"self_attn.q_proj", "self_attn.v_proj", "mlp.up_proj"}) {
        Tensor g = m.parameters().get("model.layers.1." + p + ".weight").grad();
        assertThat(g.defined()).as(p).isTrue();
        assertThat(g.abs().sum().item_double()).as(p).isGreaterThan(0);
      }
      Tensor fused;
      try (NoGradGuard ng = new NoGradGuard()) {
        fused = MicroModels.logits(m, ids(), valid()); // one product per group
      }
      assertThat(maxDiff(trained.detach(), fused)).isLessThan(1e-5);
      assertThat(trained.abs().max().item_double()).isGreaterThan(0.1);
    }
  }

  @Test
  void anInPlaceUpdateOfAPartIsSeenByTheFusedProduct() {
    try (PointerScope scope = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      Qwen2Model m = MicroModels.random(MicroModels.config(2), 4);
      Tensor before = MicroModels.logits(m, ids(), valid());
      // as an optimizer step does it: in place on the parameter under its HF name
      m.parameters().get("model.layers.0.self_attn.k_proj.weight").add_(new Scalar(0.3));
      m.parameters().get("model.layers.1.mlp.gate_proj.weight").mul_(new Scalar(-1.0));
      Tensor after = MicroModels.logits(m, ids(), valid());
      // an independent copy: separate tensors, fused anew by the constructor
      SequencedMap<String, Tensor> copy = new LinkedHashMap<>();
      for (var e : m.parameters().entrySet()) copy.put(e.getKey(), e.getValue().clone());
      Tensor fresh = MicroModels.logits(new Qwen2Model(m.config(), copy), ids(), valid());
      assertThat(maxDiff(before, after)).isGreaterThan(1e-3);
      assertThat(maxDiff(after, fresh)).isLessThan(1e-6);
    }
  }

  @Test
  void parametersAllocatedFusedAreWrappedWithoutACopy() {
    try (PointerScope scope = new PointerScope()) {
      Qwen2Config c = MicroModels.config(1);
      SequencedMap<String, Tensor> p = Qwen2Model.allocate(c, Tensors.options(DType.F32));
      Qwen2Model m = new Qwen2Model(c, p);
      for (String n :
          new String[] {
            "model.layers.0.self_attn.q_proj.weight",
            "model.layers.0.self_attn.v_proj.bias",
            "model.layers.0.mlp.up_proj.weight"
          }) {
        // the model's parameter is the allocated tensor's memory, not a copy of it
        assertThat(m.parameters().get(n).data_ptr().address())
            .as(n)
            .isEqualTo(p.get(n).data_ptr().address());
      }
      // separate tensors are copied into one fused tensor instead
      SequencedMap<String, Tensor> apart = new LinkedHashMap<>();
      for (var e : p.entrySet()) apart.put(e.getKey(), e.getValue().clone());
      Qwen2Model copied = new Qwen2Model(c, apart);
      String k = "model.layers.0.self_attn.k_proj.weight";
      assertThat(copied.parameters().get(k).data_ptr().address())
          .isNotEqualTo(apart.get(k).data_ptr().address());
    }
  }

  @Test
  void savesUnderHfNamesAndLoadsBackLaidOutFused() throws Exception {
    try (PointerScope scope = new PointerScope()) {
      Qwen2Model m = MicroModels.random(MicroModels.config(2), 5);
      Path dir = tmp.resolve("m");
      HfCheckpoint.save(m, dir, DType.F32, null, null, Long.MAX_VALUE);
      try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
        assertThat(new HashSet<>(ckpt.names()))
            .isEqualTo(new HashSet<>(Qwen2Model.parameterNames(m.config())));
        Tensor k = ckpt.read("model.layers.1.self_attn.k_proj.weight");
        assertThat(Tensors.shape(k)).containsExactly(16, 32); // [kvHeads·d, hidden]: k alone
        assertThat(
                maxDiff(k, m.parameters().get("model.layers.1.self_attn.k_proj.weight").detach()))
            .isZero();
      }
      Qwen2Model back = HfCheckpoint.loadWeights(dir, m.config(), DType.F32, new Device("cpu"));
      for (var e : m.parameters().entrySet()) {
        assertThat(maxDiff(e.getValue().detach(), back.parameters().get(e.getKey())))
            .as(e.getKey())
            .isZero();
      }
      // loaded straight into the fused layout: k's rows follow q's in one storage
      Tensor q = back.parameters().get("model.layers.0.self_attn.q_proj.weight");
      Tensor k = back.parameters().get("model.layers.0.self_attn.k_proj.weight");
      assertThat(k.is_alias_of(q)).isTrue();
      assertThat(k.data_ptr().address()).isEqualTo(q.data_ptr().address() + q.nbytes());
      try (NoGradGuard ng = new NoGradGuard()) {
        assertThat(
                maxDiff(
                    MicroModels.logits(m, ids(), valid()),
                    MicroModels.logits(back, ids(), valid())))
            .isZero();
      }
    }
  }
}
