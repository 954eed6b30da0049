package io.grpo4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

class Qwen2ConfigTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static ObjectNode qwen15() throws Exception {
    try (InputStream in = Qwen2ConfigTest.class.getResourceAsStream("/qwen2.5/config.json")) {
      return (ObjectNode) JSON.readTree(in);
    }
  }

  @Test
  void qwen25_1_5bParameterCount() throws Exception {
    Qwen2Config c = Qwen2Config.fromJson(qwen15());
    assertThat(c.parameterCount()).isEqualTo(1_543_714_304L);
    assertThat(c.headDim()).isEqualTo(128);
    assertThat(c.groups()).isEqualTo(6);
    assertThat(c.ropeTheta()).isEqualTo(1_000_000.0);
    assertThat(c.tieWordEmbeddings()).isTrue();
    assertThat(c.eosTokenIds()).containsExactly(151645);
  }

  @Test
  void acceptsNewerRopeParameters() throws Exception {
    ObjectNode o = qwen15();
    o.remove("rope_theta");
    o.putObject("rope_parameters").put("rope_theta", 12345.0).put("rope_type", "default");
    assertThat(Qwen2Config.fromJson(o).ropeTheta()).isEqualTo(12345.0);
  }

  @Test
  void refusesWhatItDoesNotImplement() throws Exception {
    ObjectNode a = qwen15();
    a.put("use_sliding_window", true);
    assertThatThrownBy(() -> Qwen2Config.fromJson(a)).hasMessageContaining("use_sliding_window");
    ObjectNode b = qwen15();
    b.putObject("rope_scaling").put("type", "yarn");
    assertThatThrownBy(() -> Qwen2Config.fromJson(b)).hasMessageContaining("rope_scaling");
    ObjectNode c = qwen15();
    c.put("hidden_size", "big");
    assertThatThrownBy(() -> Qwen2Config.fromJson(c)).hasMessageContaining("hidden_size");
    ObjectNode d = qwen15();
    d.put("num_key_value_heads", 5);
    assertThatThrownBy(() -> Qwen2Config.fromJson(d)).hasMessageContaining("num_key_value_heads");
  }

  @Test
  void toJsonRoundTrips() throws Exception {
    Qwen2Config c = Qwen2Config.fromJson(qwen15());
    ObjectNode out = c.toJson(qwen15(), "float32");
    assertThat(Qwen2Config.fromJson(out))
        .isEqualTo(
            new Qwen2Config(
                c.vocabSize(),
                c.hiddenSize(),
                c.intermediateSize(),
                c.numHiddenLayers(),
                c.numAttentionHeads(),
                c.numKeyValueHeads(),
                c.headDim(),
                c.maxPositionEmbeddings(),
                c.ropeTheta(),
                c.rmsNormEps(),
                c.tieWordEmbeddings(),
                c.initializerRange(),
                c.bosTokenId(),
                c.eosTokenIds(),
                "float32"));
    assertThat(out.get("max_window_layers").asInt()).isEqualTo(21);
    Qwen2Config tiny = Qwen2Config.tiny();
    assertThat(Qwen2Config.fromJson(tiny.toJson(null, "float32"))).isEqualTo(tiny);
    assertThat(tiny.parameterCount()).isBetween(2_000_000L, 5_000_000L);
  }
}
