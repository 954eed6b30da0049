package io.grpo4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpo4j.torch.CheckpointFormatException;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.SafetensorsCheckpoint;
import io.grpo4j.torch.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfCheckpointTest {
  @TempDir Path tmp;

  private static List<String> listing(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void tinyPresetIsByteIdenticalForTheSameSeedAndLooksLikeAnHfFolder() throws Exception {
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    Path c = tmp.resolve("c");
    TinyPreset.write("tiny", a, 5, DType.F32);
    TinyPreset.write("tiny", b, 5, DType.F32);
    TinyPreset.write("tiny", c, 6, DType.F32);
    assertThat(listing(a))
        .containsExactly(
            "config.json",
            "generation_config.json",
            "model.safetensors",
            "tokenizer.json",
            "tokenizer_config.json");
    for (String f : listing(a)) {
      assertThat(Files.readAllBytes(a.resolve(f)))
          .as(f)
          .isEqualTo(Files.readAllBytes(b.resolve(f)));
    }
    assertThat(Files.readAllBytes(a.resolve("model.safetensors")))
        .isNotEqualTo(Files.readAllBytes(c.resolve("model.safetensors")));
    try (ModelFolder f = ModelFolder.open(a)) {
      assertThat(f.config()).isEqualTo(Qwen2Config.tiny());
      assertThat(f.stopTokenIds()).containsExactlyInAnyOrder(256, 258);
      assertThat(f.samplableVocab()).isEqualTo(259);
      assertThat(f.chatTemplate()).isPresent();
    }
  }

  @Test
  void initialisationFollowsTransformers() {
    try (PointerScope s = new PointerScope()) {
      Qwen2Model m = Qwen2Model.initialize(Qwen2Config.tiny(), 1, DType.F32, new Device("cpu"));
      double[] embed = Tensors.toDoubles(m.parameters().get("model.embed_tokens.weight"));
      double mean = 0;
      double sq = 0;
      for (double v : embed) {
        mean += v / embed.length;
        sq += v * v / embed.length;
      }
      assertThat(Math.sqrt(sq - mean * mean))
          .isCloseTo(0.02, org.assertj.core.data.Offset.offset(0.001));
      assertThat(Tensors.toDoubles(m.parameters().get("model.layers.0.input_layernorm.weight")))
          .containsOnly(1.0);
      assertThat(Tensors.toDoubles(m.parameters().get("model.layers.0.self_attn.q_proj.bias")))
          .containsOnly(0.0);
    }
  }

  @Test
  void saveThenLoadGivesTheSameWeightsInEveryStorageDtypeShardedOrNot() throws Exception {
    try (PointerScope s = new PointerScope()) {
      Qwen2Model m = MicroModels.random(MicroModels.config(2), 3);
      for (DType storage : List.of(DType.F32, DType.BF16, DType.F16)) {
        for (long shard : new long[] {HfCheckpoint.DEFAULT_MAX_SHARD_BYTES, 20_000}) {
          Path dir = tmp.resolve(storage + "-" + shard);
          HfCheckpoint.save(m, dir, storage, null, null, shard);
          assertThat(Files.exists(dir.resolve("model.safetensors.index.json")))
              .isEqualTo(shard < 1_000_000);
          Qwen2Config cfg = Qwen2Config.read(dir.resolve("config.json"));
          assertThat(cfg.torchDtype()).isEqualTo(storage.torchName());
          Qwen2Model back = HfCheckpoint.loadWeights(dir, cfg, DType.F32, new Device("cpu"));
          double tol = storage == DType.F32 ? 0 : storage == DType.BF16 ? 1e-2 : 1e-3;
          for (var e : m.parameters().entrySet()) {
            float[] want = Tensors.toFloats(e.getValue());
            float[] got = Tensors.toFloats(back.parameters().get(e.getKey()));
            for (int i = 0; i < want.length; i++) {
              assertThat((double) got[i])
                  .as("%s %s[%d]", storage, e.getKey(), i)
                  .isCloseTo(
                      want[i],
                      org.assertj.core.data.Offset.offset(tol * Math.max(1, Math.abs(want[i]))));
            }
          }
        }
      }
    }
  }

  @Test
  void missingUnexpectedAndMisshapenTensorsAreNamed() throws Exception {
    try (PointerScope s = new PointerScope()) {
      Qwen2Model m = MicroModels.random(MicroModels.config(1), 3);
      LinkedHashMap<String, Tensor> t = new LinkedHashMap<>(m.parameters());
      t.remove("model.layers.0.mlp.up_proj.weight");
      t.put("model.layers.0.mlp.extra.weight", Tensors.floats(1f, 2f));
      Path dir = tmp.resolve("bad");
      SafetensorsCheckpoint.write(dir, t, HfCheckpoint.DEFAULT_MAX_SHARD_BYTES);
      assertThatThrownBy(
              () -> HfCheckpoint.loadWeights(dir, m.config(), DType.F32, new Device("cpu")))
          .isInstanceOf(CheckpointFormatException.class)
          .hasMessageContaining("model.layers.0.mlp.up_proj.weight")
          .hasMessageContaining("model.layers.0.mlp.extra.weight");
      LinkedHashMap<String, Tensor> u = new LinkedHashMap<>(m.parameters());
      u.put("model.norm.weight", Tensors.floats(1f, 2f, 3f));
      Path dir2 = tmp.resolve("shape");
      SafetensorsCheckpoint.write(dir2, u, HfCheckpoint.DEFAULT_MAX_SHARD_BYTES);
      assertThatThrownBy(
              () -> HfCheckpoint.loadWeights(dir2, m.config(), DType.F32, new Device("cpu")))
          .hasMessageContaining("model.norm.weight")
          .hasMessageContaining("[3]")
          .hasMessageContaining("[32]");
    }
  }
}
