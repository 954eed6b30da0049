package io.grpo4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinyTokenizerTest {

  @Test
  void writesTheSameBytesEveryTime(@TempDir Path dir) throws IOException {
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    TinyTokenizer.writeFiles(a);
    TinyTokenizer.writeFiles(b);
    TinyTokenizer.writeFiles(b); // overwriting is fine too
    for (String name : List.of("tokenizer.json", "tokenizer_config.json")) {
      assertThat(Files.readAllBytes(b.resolve(name)))
          .as(name)
          .isEqualTo(Files.readAllBytes(a.resolve(name)));
    }
    try (var files = Files.list(b)) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
          .as("no temp files left behind")
          .containsExactly("tokenizer.json", "tokenizer_config.json");
    }
  }

  @Test
  void filesHaveTheStructureOfAQwen2Tokenizer(@TempDir Path dir) throws IOException {
    TinyTokenizer.writeFiles(dir, 512);
    ObjectMapper json = new ObjectMapper();
    JsonNode tok = json.readTree(dir.resolve("tokenizer.json").toFile());
    assertThat(tok.get("normalizer").isNull()).isTrue();
    assertThat(tok.at("/pre_tokenizer/type").asText()).isEqualTo("ByteLevel");
    assertThat(tok.at("/pre_tokenizer/add_prefix_space").asBoolean()).isFalse();
    assertThat(tok.at("/decoder/type").asText()).isEqualTo("ByteLevel");
    assertThat(tok.at("/model/type").asText()).isEqualTo("BPE");
    assertThat(tok.at("/model/merges").size()).isZero();
    assertThat(tok.at("/model/vocab").size()).isEqualTo(256);
    assertThat(tok.at("/model/vocab/Ġ").asInt()).isEqualTo(32);
    assertThat(tok.get("added_tokens").findValuesAsText("content"))
        .containsExactly("<|endoftext|>", "<|im_start|>", "<|im_end|>");

    JsonNode config = json.readTree(dir.resolve("tokenizer_config.json").toFile());
    assertThat(config.get("eos_token").asText()).isEqualTo("<|im_end|>");
    assertThat(config.get("pad_token").asText()).isEqualTo("<|endoftext|>");
    assertThat(config.get("bos_token").isNull()).isTrue();
    assertThat(config.get("model_max_length").asInt()).isEqualTo(512);
    assertThat(config.at("/added_tokens_decoder/258/content").asText()).isEqualTo("<|im_end|>");
    assertThat(config.at("/added_tokens_decoder/258/special").asBoolean()).isTrue();
    List<String> keys = iterable(config.fieldNames());
    assertThat(keys).as("sorted, as transformers writes them").isSorted();
  }

  @Test
  void loadsAndItsChatTemplateRendersChatMl(@TempDir Path dir) throws IOException {
    TinyTokenizer.writeFiles(dir);
    ChatTemplate template = ChatTemplate.fromTokenizerConfig(dir.resolve("tokenizer_config.json"));
    List<Map<String, Object>> messages =
        List.of(
            Map.of("role", "system", "content", "You solve Countdown."),
            Map.of("role", "user", "content", "Reach 43 with 3 5 7 11"));
    String prompt = template.render(messages, true);
    // Also what Python transformers' apply_chat_template gives for these files.
    assertThat(prompt)
        .isEqualTo(
            "<|im_start|>system\nYou solve Countdown.<|im_end|>\n"
                + "<|im_start|>user\nReach 43 with 3 5 7 11<|im_end|>\n"
                + "<|im_start|>assistant\n");
    assertThat(template.render(messages.subList(1, 2), false))
        .isEqualTo("<|im_start|>user\nReach 43 with 3 5 7 11<|im_end|>\n");

    try (Tokenizer tokenizer = Tokenizer.load(dir)) {
      int[] ids = tokenizer.encode(prompt);
      assertThat(ids[0]).isEqualTo(TinyTokenizer.IM_START_ID);
      assertThat(ids).contains(TinyTokenizer.IM_END_ID);
      assertThat(tokenizer.decode(ids)).isEqualTo(prompt);
      assertThat(tokenizer.eosTokenId()).hasValue(TinyTokenizer.IM_END_ID);
    }
  }

  private static <T> List<T> iterable(java.util.Iterator<T> it) {
    List<T> out = new java.util.ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }
}
