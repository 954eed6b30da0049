package io.grpo4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaskedDiffusionModelTest {
  @TempDir Path tmp;

  private static Tensor bools(long[][] v) {
    return Tensors.longs(v).to(torch.ScalarType.Bool);
  }

  @Test
  void attentionIsBidirectionalAndLeftPaddingChangesNothing() {
    try (PointerScope s = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      MaskedDiffusionModel m = MicroModels.diffusion(2, 3);
      long[][] a = {{5, 6, 7, 48, 48}};
      long[][] b = {{5, 6, 7, 48, 9}}; // only the last position differs
      long[][] all = {{1, 1, 1, 1, 1}};
      Tensor la = m.logits(Tensors.longs(a), bools(all));
      Tensor lb = m.logits(Tensors.longs(b), bools(all));
      // a causal model's position 0 could not see position 4; this one does
      double diff = la.select(1, 0).sub(lb.select(1, 0)).abs().max().item_double();
      assertThat(diff).isGreaterThan(1e-4);
      // the same row left-padded by two: identical logits at the real positions
      long[][] padded = {{0, 0, 5, 6, 7, 48, 48}};
      long[][] valid = {{0, 0, 1, 1, 1, 1, 1}};
      Tensor lp = m.logits(Tensors.longs(padded), bools(valid), 2, 5);
      assertThat(lp.sub(la).abs().max().item_double()).isLessThan(1e-5);
      // the causal mask differs from the bidirectional one on exactly the future keys
      Tensor causal = AttentionMask.of(bools(all), 5);
      Tensor bidi = AttentionMask.bidirectional(bools(all));
      assertThat(bidi.logical_and(causal.logical_not()).sum().item_long()).isEqualTo(10);
      assertThat(causal.logical_and(bidi.logical_not()).sum().item_long()).isZero();
    }
  }

  @Test
  void theMaskTokenIsNeverPredicted() {
    try (PointerScope s = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      MaskedDiffusionModel m = MicroModels.diffusion(1, 4);
      Tensor logits =
          m.logits(Tensors.longs(new long[][] {{3, 48, 48}}), bools(new long[][] {{1, 1, 1}}));
      Tensor p = logits.softmax(-1);
      assertThat(p.select(2, MicroModels.MICRO_MASK).max().item_double()).isZero();
      assertThat(logits.isfinite().all().item_bool()).isTrue();
      assertThat(
              p.sum(new long[] {-1}, false, new org.bytedeco.pytorch.ScalarTypeOptional())
                  .sub(new org.bytedeco.pytorch.Scalar(1))
                  .abs()
                  .max()
                  .item_double())
          .isLessThan(1e-5);
    }
  }

  @Test
  void aDiffusionFolderIsRefusedAsAutoregressiveAndTheReverse() throws Exception {
    Path mdm = tmp.resolve("mdm");
    Path ar = tmp.resolve("ar");
    TinyPreset.writeDiffusion(mdm, 7, DType.F32);
    TinyPreset.write("tiny", ar, 7, DType.F32);
    ObjectNode cfg =
        (ObjectNode) new ObjectMapper().readTree(Files.readString(mdm.resolve("config.json")));
    assertThat(cfg.path("model_type").asText()).isEqualTo("qwen2_mdm");
    assertThat(cfg.path("mask_token_id").asInt()).isEqualTo(TinyTokenizer.MASK_ID);
    assertThat(cfg.path("vocab_size").asInt()).isEqualTo(260);
    assertThat(ModelKind.of(mdm)).isEqualTo(ModelKind.MASKED_DIFFUSION);
    assertThat(ModelKind.of(ar)).isEqualTo(ModelKind.CAUSAL);

    // the autoregressive loaders refuse the diffusion folder, naming the file and what it is
    assertThatThrownBy(() -> ModelFolder.open(mdm))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(mdm.resolve("config.json").toString())
        .hasMessageContaining("masked-diffusion checkpoint");
    assertThatThrownBy(() -> Qwen2Config.read(mdm.resolve("config.json")))
        .hasMessageContaining("qwen2_mdm");
    // and the diffusion loader refuses the autoregressive one
    assertThatThrownBy(() -> ModelFolder.openDiffusion(ar))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(ar.resolve("config.json").toString())
        .hasMessageContaining("not a masked-diffusion checkpoint");
    // a diffusion config whose tokenizer has no [MASK] token is refused too
    Path noMask = tmp.resolve("nomask");
    TinyPreset.writeDiffusion(noMask, 7, DType.F32);
    TinyTokenizer.writeFiles(noMask);
    assertThatThrownBy(() -> ModelFolder.openDiffusion(noMask))
        .hasMessageContaining("mask_token_id 259 is not a special token");

    try (ModelFolder f = ModelFolder.openDiffusion(mdm);
        PointerScope s = new PointerScope()) {
      assertThat(f.kind()).isEqualTo(ModelKind.MASKED_DIFFUSION);
      assertThat(f.tokenizer().tokenId(TinyTokenizer.MASK).getAsInt()).isEqualTo(259);
      assertThat(f.tokenizer().decode(new int[] {'1', '+', '2'})).isEqualTo("1+2");
      assertThatThrownBy(() -> f.loadModel(DType.F32, new Device("cpu")))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("masked-diffusion");
      MaskedDiffusionModel m = f.loadDiffusionModel(DType.F32, new Device("cpu"));
      MaskedDiffusionModel fresh =
          MaskedDiffusionModel.initialize(DiffusionConfig.tiny(), 7, DType.F32, new Device("cpu"));
      for (var e : fresh.parameters().entrySet()) {
        assertThat(e.getValue().sub(m.parameters().get(e.getKey())).abs().max().item_double())
            .as(e.getKey())
            .isZero();
      }
      // saving keeps the kind: the copy opens as a diffusion folder again
      Path copy = tmp.resolve("copy");
      f.exportTo(copy, DType.BF16);
      try (ModelFolder g = ModelFolder.openDiffusion(copy)) {
        assertThat(g.diffusionConfig().maskTokenId()).isEqualTo(259);
        assertThat(g.diffusionConfig().backbone().torchDtype()).isEqualTo("bfloat16");
        MaskedDiffusionModel back = g.loadDiffusionModel(DType.F32, new Device("cpu"));
        String name = "model.layers.0.mlp.up_proj.weight";
        assertThat(
                back.parameters().get(name).sub(m.parameters().get(name)).abs().max().item_double())
            .isCloseTo(0, within(1e-2)); // bf16 rounding
      }
    }
  }

  @Test
  void configRejectsAMaskThatIsAnEosOrOutOfRange() {
    Qwen2Config c = MicroModels.config(1);
    assertThatThrownBy(() -> new DiffusionConfig(c, 49)).hasMessageContaining("eos_token_id");
    assertThatThrownBy(() -> new DiffusionConfig(c, 50)).hasMessageContaining("mask_token_id");
    ObjectNode json = DiffusionConfig.tiny().toJson(null, "float32");
    json.remove("mask_token_id");
    assertThatThrownBy(() -> DiffusionConfig.fromJson(json))
        .hasMessageContaining("'mask_token_id'");
  }
}
