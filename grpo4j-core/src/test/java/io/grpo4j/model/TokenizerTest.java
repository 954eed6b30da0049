package io.grpo4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenizerTest {

  @TempDir static Path dirs;
  static Tokenizer tiny;
  static Tokenizer mini;

  @BeforeAll
  static void load() throws IOException {
    Path tinyDir = dirs.resolve("tiny");
    TinyTokenizer.writeFiles(tinyDir);
    tiny = Tokenizer.load(tinyDir);
    Path miniDir = Files.createDirectories(dirs.resolve("bpe-mini"));
    try (InputStream in = TokenizerTest.class.getResourceAsStream("/bpe-mini/tokenizer.json")) {
      Files.write(miniDir.resolve("tokenizer.json"), in.readAllBytes());
    }
    mini = Tokenizer.load(miniDir);
  }

  @AfterAll
  static void close() {
    tiny.close();
    mini.close();
  }

  static int[] utf8(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    int[] ids = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      ids[i] = bytes[i] & 0xFF;
    }
    return ids;
  }

  static byte[] concatTokenBytes(Tokenizer t, int[] ids) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int id : ids) {
      out.writeBytes(t.tokenBytes(id));
    }
    return out.toByteArray();
  }

  // ------------------------------------------------------------------ the tiny preset

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Hello, world! 3+5=8",
        "Grüße, 你好 🙂",
        "e\u0301 is not NFC; tabs\tand\r\nnewlines  ",
        "\u0000\u007f control bytes",
        ""
      })
  void tinyIdsAreTheUtf8BytesAndRoundTripExactly(String text) {
    int[] ids = tiny.encode(text);
    assertThat(ids).isEqualTo(utf8(text));
    assertThat(tiny.decode(ids)).isEqualTo(text);
    assertThat(concatTokenBytes(tiny, ids)).isEqualTo(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void tinyRecognisesSpecialTokensInsideText() {
    String text = "<|im_start|>user\nHi 🙂<|im_end|>\n<|endoftext|>";
    int[] ids = tiny.encode(text);
    int[] expected = new int[ids.length];
    int i = 0;
    expected[i++] = 257;
    for (int b : utf8("user\nHi 🙂")) {
      expected[i++] = b;
    }
    expected[i++] = 258;
    expected[i++] = '\n';
    expected[i++] = 256;
    assertThat(i).isEqualTo(ids.length);
    assertThat(ids).isEqualTo(expected);
    assertThat(tiny.decode(ids)).isEqualTo(text);
    assertThat(concatTokenBytes(tiny, ids)).isEqualTo(text.getBytes(StandardCharsets.UTF_8));
    assertThat(tiny.tokenBytes(258)).isEqualTo("<|im_end|>".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aMultiByteCharacterSplitOverTokensKeepsItsBytesPerToken() {
    int[] ids = tiny.encode("🙂"); // F0 9F 99 82: four tokens, none a character by itself
    assertThat(ids).containsExactly(0xF0, 0x9F, 0x99, 0x82);
    assertThat(tiny.tokenBytes(ids[0])).containsExactly((byte) 0xF0);
    assertThat(tiny.tokenBytes(ids[3])).containsExactly((byte) 0x82);
    assertThat(tiny.tokenId("ð")).hasValue(0xF0);
    assertThat(tiny.decode(new int[] {'a', 0xF0, 0x9F})).startsWith("a").doesNotContain("🙂");
  }

  @Test
  void tinyVocabularyAndConfiguredTokens() {
    assertThat(tiny.vocabSize()).isEqualTo(TinyTokenizer.VOCAB_SIZE).isEqualTo(259);
    assertThat(tiny.tokenId("<|endoftext|>")).hasValue(256);
    assertThat(tiny.tokenId("<|im_start|>")).hasValue(257);
    assertThat(tiny.tokenId("<|im_end|>")).hasValue(258);
    assertThat(tiny.tokenId("Ġ")).hasValue(32);
    assertThat(tiny.tokenId("no such token")).isEmpty();
    assertThat(tiny.tokenId("Ċ")).hasValue(10);
    assertThat(tiny.tokenId("a")).hasValue((int) 'a');
    assertThat(tiny.eosTokenId()).hasValue(258);
    assertThat(tiny.padTokenId()).hasValue(256);
    assertThat(tiny.bosTokenId()).isEqualTo(OptionalInt.empty());
    assertThat(tiny.specialTokenIds()).containsExactly(256, 257, 258);
  }

  @Test
  void idsOutsideTheVocabularyAreRefusedNamingTheFile() {
    assertThatThrownBy(() -> tiny.tokenBytes(259))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("259")
        .hasMessageContaining("tokenizer.json");
    assertThatThrownBy(() -> tiny.decode(new int[] {1, -1}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // ------------------------------------------------------------------ a Qwen-shaped BPE with
  // merges

  /** GPT-2/Qwen order of single-byte tokens: printable Latin-1 first, the rest from id 188. */
  static int byteId(int b) {
    if (b >= '!' && b <= '~') return b - 33;
    if (b >= 0xA1 && b <= 0xAC) return b - 67;
    if (b >= 0xAE) return b - 68;
    if (b <= 32) return 188 + b;
    if (b >= 127 && b <= 160) return 221 + (b - 127);
    return 255; // 0xAD, soft hyphen
  }

  @Test
  void bpeMergesGiveTheHandWorkedIds() {
    // Merges by rank: "Ġ t"=256, "h e"=257, "Ġt he"=258, "l l"=259, "ä ½"=260; Qwen's regex splits
    // " the hello" into " the" | " hello".
    assertThat(mini.encode(" the hello")).containsExactly(258, 220, 257, 259, byteId('o'));
    assertThat(mini.encode("the")).containsExactly(byteId('t'), 257);
    // 你 = E4 BD A0: the merge "ä½" takes its first two bytes, A0 stays alone (id 254, "ł").
    assertThat(mini.encode("你")).containsExactly(260, 254);
    assertThat(mini.encode("a<|im_end|>")).containsExactly(byteId('a'), 263);
    assertThat(mini.vocabSize()).isEqualTo(264);
  }

  @Test
  void tokenBytesInvertTheByteAlphabet() {
    assertThat(mini.tokenId("Ġ")).hasValue(220);
    assertThat(mini.tokenBytes(220)).containsExactly(' ');
    assertThat(mini.tokenBytes(byteId('\n'))).containsExactly('\n');
    assertThat(mini.tokenId("Ġthe")).hasValue(258);
    assertThat(new String(mini.tokenBytes(258), StandardCharsets.UTF_8)).isEqualTo(" the");
    assertThat(mini.tokenBytes(260)).containsExactly((byte) 0xE4, (byte) 0xBD);
    assertThat(mini.tokenBytes(254)).containsExactly((byte) 0xA0);
    assertThat(mini.tokenBytes(byteId(0xAD))).containsExactly((byte) 0xAD);
    for (int b = 0; b < 256; b++) {
      assertThat(mini.tokenBytes(byteId(b))).as("byte %d", b).containsExactly((byte) b);
    }
    String text = "你好 the hello\n<|im_start|>Grüße";
    int[] ids = mini.encode(text);
    assertThat(concatTokenBytes(mini, ids)).isEqualTo(text.getBytes(StandardCharsets.UTF_8));
    assertThat(mini.decode(ids)).isEqualTo(text);
  }

  @Test
  void aNormalizerAppliesOnTheWayIn() {
    // The mini tokenizer has Qwen's NFC normalizer: e + combining acute becomes é (C3 A9).
    assertThat(mini.encode("e\u0301")).containsExactly(byteId(0xC3), byteId(0xA9));
  }

  // ------------------------------------------------------------------ bad files

  @Test
  void aMissingTokenizerJsonIsAnIOExceptionNamingTheFile(@TempDir Path dir) {
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(dir.resolve("tokenizer.json").toString())
        .hasMessageContaining("not found");
  }

  @Test
  void malformedTokenizerJsonIsAnIOExceptionNamingTheFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("tokenizer.json");
    Files.writeString(file, "{\"model\": {\"vocab\": {\"a\": 0");
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("malformed JSON");

    Files.writeString(file, "{\"version\": \"1.0\"}");
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("model.vocab");

    Files.writeString(file, "{\"model\": {\"type\": \"NoSuchModel\", \"vocab\": {\"a\": 0}}}");
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("rejected");
  }

  @Test
  void aMalformedTokenizerConfigIsNamedToo(@TempDir Path dir) throws IOException {
    TinyTokenizer.writeFiles(dir);
    Path config = dir.resolve("tokenizer_config.json");
    Files.writeString(config, "{ not json");
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(config.toString());
  }

  @Test
  void aClosedTokenizerRefusesWork(@TempDir Path dir) throws IOException {
    TinyTokenizer.writeFiles(dir);
    Tokenizer t = Tokenizer.load(dir);
    t.close();
    t.close(); // idempotent
    assertThatThrownBy(() -> t.encode("a")).isInstanceOf(IllegalStateException.class);
  }
}
