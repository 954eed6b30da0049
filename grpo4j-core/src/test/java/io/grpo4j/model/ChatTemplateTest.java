package io.grpo4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ChatTemplateTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  static String resource(String name) throws IOException {
    try (InputStream in = ChatTemplateTest.class.getResourceAsStream("/" + name)) {
      assertThat(in).as("test resource " + name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** A template given as text, named "chat template" in errors. */
  static ChatTemplate template(String text, String bosToken, String eosToken) {
    return ChatTemplate.named("chat template", text, bosToken, eosToken);
  }

  static ChatTemplate qwen() throws IOException {
    return template(resource("qwen2.5/chat_template.jinja"), null, "<|im_end|>");
  }

  static Stream<Arguments> qwenCases() throws IOException {
    List<Map<String, Object>> cases =
        JSON.readValue(resource("qwen2.5/chat_template_cases.json"), new TypeReference<>() {});
    assertThat(cases).hasSizeGreaterThanOrEqualTo(3);
    return IntStream.range(0, cases.size()).mapToObj(i -> Arguments.of(i, cases.get(i)));
  }

  @SuppressWarnings("unchecked")
  @ParameterizedTest(name = "case {0}")
  @MethodSource("qwenCases")
  void qwenTemplateRendersEveryFixtureCaseByteForByte(int index, Map<String, Object> c)
      throws IOException {
    String out =
        qwen()
            .render(
                (List<Map<String, Object>>) c.get("messages"),
                (List<Map<String, Object>>) c.get("tools"),
                (Boolean) c.getOrDefault("add_generation_prompt", false),
                Map.of());
    assertThat(out.getBytes(StandardCharsets.UTF_8))
        .as("case %d renders\n%s\nexpected\n%s", index, out, c.get("expected"))
        .isEqualTo(((String) c.get("expected")).getBytes(StandardCharsets.UTF_8));
  }

  static Stream<Arguments> jinja2Cases() throws IOException {
    Map<String, Object> file =
        JSON.readValue(resource("jinja/jinja2_cases.json"), new TypeReference<>() {});
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> cases = (List<Map<String, Object>>) file.get("cases");
    return cases.stream()
        .map(c -> Arguments.of(c.get("name") + " agp=" + c.get("add_generation_prompt"), c, file));
  }

  /** Templates rendered by Python jinja2 set up as transformers sets it up (make_cases.py). */
  @SuppressWarnings("unchecked")
  @ParameterizedTest(name = "{0}")
  @MethodSource("jinja2Cases")
  void rendersLikePythonJinja2(String name, Map<String, Object> c, Map<String, Object> file) {
    ChatTemplate template = template((String) c.get("template"), "<s>", "</s>");
    String out =
        template.render(
            (List<Map<String, Object>>) file.get("messages"),
            null,
            (Boolean) c.get("add_generation_prompt"),
            Map.of("value", file.get("value")));
    assertThat(out).as(name).isEqualTo(c.get("expected"));
  }

  @Test
  void raiseExceptionAbortsTheRenderWithTheTemplatesMessage() {
    ChatTemplate template =
        template(
            "{% if messages[0].role != 'user' %}{{ raise_exception('first must be user') }}{% endif %}ok",
            null, null);
    assertThat(template.render(List.of(Map.of("role", "user", "content", "x")), false))
        .isEqualTo("ok");
    assertThatThrownBy(
            () -> template.render(List.of(Map.of("role", "system", "content", "x")), false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("chat template")
        .hasMessageContaining("first must be user");
  }

  @Test
  void controlCharactersInMessagesAreRenderedAsThemselvesAsJinja2Does() throws IOException {
    // a sampled model turn may hold any byte; jinjava's Python-style printing would write
    // U+0005 as a backslash, "u" and four digits
    StringBuilder all = new StringBuilder();
    for (char c = 0; c < 0x20; c++) all.append(c);
    String content = "a" + all + "\u0005 é";
    String out =
        qwen()
            .render(
                List.of(
                    Map.of("role", "user", "content", content),
                    Map.of("role", "assistant", "content", "x\u001f")),
                true);
    assertThat(out)
        .contains("<|im_start|>user\n" + content + "<|im_end|>")
        .contains("<|im_start|>assistant\nx\u001f<|im_end|>")
        .doesNotContain("\\u00");
    // a text that already holds the stand-ins is rendered as it is
    String standIn = new String(Character.toChars(0x100005));
    assertThat(qwen().render(List.of(Map.of("role", "user", "content", standIn)), false))
        .contains(standIn);
  }

  @Test
  void syntaxErrorsAreRefusedWhenTheTemplateIsCreated() {
    assertThatThrownBy(() -> template("{% for m in messages %}{{ m.content }}", null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("chat template");
  }

  @Test
  void qwenTemplateWithoutToolsUsesTheDefaultSystemPrompt() throws IOException {
    String out = qwen().render(List.of(Map.of("role", "user", "content", "Hi")), false);
    assertThat(out)
        .isEqualTo(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful"
                + " assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n");
  }

  @Test
  void readsTheTemplateFromTokenizerConfigStringListOrSiblingFile(@TempDir Path dir)
      throws IOException {
    String template = "{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}";
    List<Map<String, Object>> messages = List.of(Map.of("role", "user", "content", "a"));

    Path string = dir.resolve("string.json");
    Files.writeString(
        string, JSON.writeValueAsString(Map.of("chat_template", template, "eos_token", "<E>")));
    assertThat(ChatTemplate.fromTokenizerConfig(string).render(messages, false)).isEqualTo("a<E>");

    Path list = dir.resolve("list.json");
    Map<String, Object> config = new LinkedHashMap<>();
    config.put(
        "chat_template",
        List.of(
            Map.of("name", "tool_use", "template", "wrong"),
            Map.of("name", "default", "template", template)));
    config.put("eos_token", Map.of("content", "<F>", "special", true));
    Files.writeString(list, JSON.writeValueAsString(config));
    assertThat(ChatTemplate.fromTokenizerConfig(list).render(messages, false)).isEqualTo("a<F>");

    Path sub = Files.createDirectories(dir.resolve("sub"));
    Files.writeString(sub.resolve("tokenizer_config.json"), "{\"eos_token\": \"<G>\"}");
    Files.writeString(sub.resolve("chat_template.jinja"), template);
    assertThat(
            ChatTemplate.fromTokenizerConfig(sub.resolve("tokenizer_config.json"))
                .render(messages, false))
        .isEqualTo("a<G>");
  }

  @Test
  void aConfigWithoutTemplateOrWithBadJsonNamesTheFile(@TempDir Path dir) throws IOException {
    Path none = dir.resolve("tokenizer_config.json");
    Files.writeString(none, "{\"eos_token\": \"<E>\"}");
    assertThatThrownBy(() -> ChatTemplate.fromTokenizerConfig(none))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(none.toString())
        .hasMessageContaining("chat_template");
    Files.writeString(none, "{\"chat_template\": ");
    assertThatThrownBy(() -> ChatTemplate.fromTokenizerConfig(none))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(none.toString())
        .hasMessageContaining("malformed JSON");
  }
}
