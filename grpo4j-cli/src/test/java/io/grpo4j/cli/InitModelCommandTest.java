package io.grpo4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitModelCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  private static int run(String... args) {
    return Main.commandLine().execute(args);
  }

  @Test
  void configThenLikeGiveTheSameShapeAndTokenizer() throws Exception {
    Path cfg = tmp.resolve("config.json");
    Files.writeString(
        cfg,
        """
        {"model_type": "qwen2", "vocab_size": 320, "hidden_size": 32, "intermediate_size": 48,
         "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
         "tie_word_embeddings": true, "eos_token_id": 151645}
        """);
    Path a = tmp.resolve("a");
    assertThat(
            run(
                "init-model",
                "--config",
                cfg.toString(),
                "--out",
                a.toString(),
                "--storage-dtype",
                "bf16"))
        .isZero();
    assertThat(a.resolve("model.safetensors")).isRegularFile();
    assertThat(JSON.readTree(a.resolve("config.json").toFile()).path("vocab_size").asInt())
        .isEqualTo(320);
    Path b = tmp.resolve("b");
    assertThat(run("init-model", "--like", a.toString(), "--out", b.toString(), "--seed", "5"))
        .isZero();
    assertThat(Files.readString(b.resolve("tokenizer.json")))
        .isEqualTo(Files.readString(a.resolve("tokenizer.json")));
    assertThat(JSON.readTree(b.resolve("config.json").toFile()).path("hidden_size").asInt())
        .isEqualTo(32);
  }

  @Test
  void twoShapesAtOnceAreRefused() {
    assertThat(
            run(
                "init-model",
                "--preset",
                "tiny",
                "--like",
                tmp.toString(),
                "--out",
                tmp.resolve("x").toString()))
        .isNotZero();
  }
}
