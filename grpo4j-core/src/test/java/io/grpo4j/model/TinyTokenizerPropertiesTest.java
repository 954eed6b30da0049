package io.grpo4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/** Any Unicode text: ids are its UTF-8 bytes, decode inverts encode, token bytes add up. */
class TinyTokenizerPropertiesTest {

  static Path dir;
  static Tokenizer tiny;

  @BeforeContainer
  static void load() throws IOException {
    dir = Files.createTempDirectory("tiny-tokenizer");
    TinyTokenizer.writeFiles(dir);
    tiny = Tokenizer.load(dir);
  }

  @AfterContainer
  static void close() throws IOException {
    tiny.close();
    try (var files = Files.list(dir)) {
      for (Path p : files.toList()) {
        Files.delete(p);
      }
    }
    Files.delete(dir);
  }

  @Provide
  Arbitrary<String> texts() {
    Arbitrary<Integer> codePoints =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(4, Arbitraries.integers().between(0, 0x7F)),
            net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0x80, 0xD7FF)),
            net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0xE000, 0x10FFFF)));
    return codePoints
        .list()
        .ofMaxSize(40)
        .map(cps -> new String(cps.stream().mapToInt(Integer::intValue).toArray(), 0, cps.size()));
  }

  @Property(tries = 300)
  void encodeIsUtf8AndDecodeInvertsIt(@ForAll("texts") String text) {
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    int[] ids = tiny.encode(text);
    assertThat(ids).hasSize(utf8.length);
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    for (int i = 0; i < ids.length; i++) {
      assertThat(ids[i]).isEqualTo(utf8[i] & 0xFF);
      joined.writeBytes(tiny.tokenBytes(ids[i]));
    }
    assertThat(joined.toByteArray()).isEqualTo(utf8);
    assertThat(tiny.decode(ids)).isEqualTo(text);
  }
}
