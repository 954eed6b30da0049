package io.grpo4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.SafetensorsFile;
import io.grpo4j.torch.TensorInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RandomModelTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  /** A small custom Qwen2 shape, with Qwen's own special ids that the byte tokenizer lacks. */
  private Path smallConfig(int vocab) throws Exception {
    ObjectNode c = JSON.createObjectNode();
    c.putArray("architectures").add("Qwen2ForCausalLM");
    c.put("model_type", "qwen2");
    c.put("vocab_size", vocab);
    c.put("hidden_size", 64);
    c.put("intermediate_size", 96);
    c.put("num_hidden_layers", 2);
    c.put("num_attention_heads", 4);
    c.put("num_key_value_heads", 2);
    c.put("max_position_embeddings", 512);
    c.put("rope_theta", 10000.0);
    c.put("tie_word_embeddings", false);
    c.put("bos_token_id", 151643);
    c.put("eos_token_id", 151645);
    c.put("max_window_layers", 7);
    Path f = tmp.resolve("config-" + vocab + ".json");
    Files.writeString(f, JSON.writeValueAsString(c));
    return f;
  }

  @Test
  void byteTokenizerFolderLoadsWithEveryParameterInBf16() throws Exception {
    Path out = tmp.resolve("m");
    RandomModel.Plan p = RandomModel.write(smallConfig(300), null, out, 7, DType.BF16);
    ModelFolder f = ModelFolder.open(out);
    assertThat(f.config().vocabSize()).isEqualTo(300);
    assertThat(f.config().numHiddenLayers()).isEqualTo(2);
    assertThat(f.tokenizer().vocabSize()).isEqualTo(TinyTokenizer.VOCAB_SIZE);
    assertThat(f.samplableVocab()).isEqualTo(259);
    assertThat(f.stopTokenIds())
        .containsExactlyInAnyOrder(TinyTokenizer.ENDOFTEXT_ID, TinyTokenizer.IM_END_ID);
    assertThat(f.rawConfig().path("max_window_layers").asInt())
        .as("extra fields kept")
        .isEqualTo(7);
    assertThat(f.rawConfig().path("torch_dtype").asText()).isEqualTo("bfloat16");
    long count = 0;
    try (SafetensorsFile st = SafetensorsFile.open(out.resolve("model.safetensors"))) {
      for (TensorInfo t : st.tensors().values()) {
        assertThat(t.dtype()).as(t.name()).isEqualTo(DType.BF16);
        count += Arrays.stream(t.shape()).reduce(1, (a, b) -> a * b);
      }
      assertThat(st.tensors().values().stream().mapToLong(t -> t.end() - t.begin()).sum())
          .isEqualTo(p.weightBytes(DType.BF16));
    }
    // hand count: embed 300*64 twice (untied); per layer q 64*64+64, k,v 2*(64*32+32), o 64*64,
    // mlp 3*64*96, norms 2*64; final norm 64
    long perLayer = 64 * 64 + 64 + 2 * (64 * 32 + 32) + 64 * 64 + 3 * 64 * 96 + 2 * 64;
    assertThat(count).isEqualTo(2L * 300 * 64 + 2 * perLayer + 64);
    assertThat(p.config().parameterCount()).isEqualTo(count);
    try (PointerScope s = new PointerScope()) {
      Qwen2Model m = f.loadModel(DType.F32, new Device("cpu"));
      assertThat(m.parameters()).hasSize(Qwen2Model.parameterNames(f.config()).size());
    }
  }

  @Test
  void sameSeedSameBytesOtherSeedOtherBytes() throws Exception {
    Path cfg = smallConfig(259);
    RandomModel.write(cfg, null, tmp.resolve("a"), 3, DType.F32);
    RandomModel.write(cfg, null, tmp.resolve("b"), 3, DType.F32);
    RandomModel.write(cfg, null, tmp.resolve("c"), 4, DType.F32);
    byte[] a = Files.readAllBytes(tmp.resolve("a/model.safetensors"));
    assertThat(Files.readAllBytes(tmp.resolve("b/model.safetensors"))).isEqualTo(a);
    assertThat(Files.readAllBytes(tmp.resolve("c/model.safetensors"))).isNotEqualTo(a);
  }

  @Test
  void tokenizerFolderIsCopiedAndMustFitTheVocabulary() throws Exception {
    Path tok = Path.of("models/countdown-tiny-sft");
    Path out = tmp.resolve("t");
    RandomModel.write(smallConfig(512), tok, out, 1, DType.F32);
    assertThat(Files.readString(out.resolve("tokenizer.json")))
        .isEqualTo(Files.readString(tok.resolve("tokenizer.json")));
    ModelFolder f = ModelFolder.open(out);
    assertThat(f.config().eosTokenIds()).as("ids of the given config kept").containsExactly(151645);
    assertThatThrownBy(
            () -> RandomModel.write(smallConfig(200), tok, tmp.resolve("x"), 1, DType.F32))
        .hasMessageContaining("config-200.json")
        .hasMessageContaining("vocab_size 200")
        .hasMessageContaining("259");
    assertThatThrownBy(
            () -> RandomModel.write(smallConfig(200), null, tmp.resolve("y"), 1, DType.F32))
        .hasMessageContaining("byte-level tokenizer")
        .hasMessageContaining("--tokenizer");
  }

  /** The real Qwen2.5-1.5B-Instruct config: count only (its folder would be 3 GB). */
  @Test
  void qwen25OnePointFiveBShape() throws Exception {
    Path cfg = Path.of("../shared/fixtures/qwen2.5-1.5b-instruct/config.json");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(cfg), "fixture " + cfg);
    RandomModel.Plan p = RandomModel.plan(JSON.readTree(cfg.toFile()), cfg.toString(), null, 0);
    // Qwen2.5-1.5B's published parameter count (tied embeddings counted once)
    assertThat(p.config().parameterCount()).isEqualTo(1_543_714_304L);
    assertThat(p.weightBytes(DType.BF16)).isEqualTo(2 * 1_543_714_304L);
    assertThat(p.config().eosTokenIds()).containsExactly(256, 258);
    assertThat(p.json().has("eos_token_id")).isFalse();
  }
}
