package io.grpo4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextStreamTest {
  /** Byte-level decoding as the tiny tokenizer does it: id = one raw UTF-8 byte. */
  private static String bytes(int[] ids) {
    byte[] b = new byte[ids.length];
    for (int i = 0; i < ids.length; i++) b[i] = (byte) ids[i];
    return new String(b, StandardCharsets.UTF_8);
  }

  private static String feed(TextStream s, String text, StringBuilder sent) {
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      sent.append(s.push(b & 0xff));
      if (s.stopped()) break;
    }
    return sent.toString();
  }

  @Test
  void aStopStringSplitOverTokensIsNeverSent() {
    TextStream s = new TextStream(TextStreamTest::bytes, List.of("STOP"));
    StringBuilder sent = new StringBuilder();
    assertThat(feed(s, "3+5=8\nST", sent)).isEqualTo("3+5=8\n"); // "ST" could begin STOP: held back
    assertThat(feed(s, "OP and more", sent)).isEqualTo("3+5=8\n");
    assertThat(s.stopped()).isTrue();
    assertThat(s.flush()).isEmpty(); // the whole text was sent
  }

  @Test
  void heldBackTextIsReleasedWhenItTurnsOutNotToBeAStop() {
    TextStream s = new TextStream(TextStreamTest::bytes, List.of("\n\n", "</answer>"));
    StringBuilder sent = new StringBuilder();
    feed(s, "a\n</ans", sent);
    assertThat(sent.toString()).isEqualTo("a\n"); // "</ans" may begin "</answer>"
    feed(s, "\n", sent);
    assertThat(sent.toString()).isEqualTo("a\n</ans"); // now only "\n" may begin "\n\n"
    s = new TextStream(TextStreamTest::bytes, List.of("\n\n", "</answer>"));
    sent.setLength(0);
    feed(s, "a\n</ans", sent);
    feed(s, "x", sent);
    assertThat(sent.toString()).isEqualTo("a\n</ansx");
    assertThat(s.stopped()).isFalse();
  }

  @Test
  void anIncompleteUtf8CharacterWaitsForItsLastByte() {
    TextStream s = new TextStream(TextStreamTest::bytes, List.of());
    byte[] euro = "€".getBytes(StandardCharsets.UTF_8); // 3 bytes
    assertThat(s.push('x')).isEqualTo("x");
    assertThat(s.push(euro[0] & 0xff)).isEmpty();
    assertThat(s.push(euro[1] & 0xff)).isEmpty();
    assertThat(s.push(euro[2] & 0xff)).isEqualTo("€");
    assertThat(s.push(0xe2)).isEmpty(); // a lone lead byte at the end is flushed as it decodes
    assertThat(s.flush()).isEqualTo("\uFFFD");
  }

  @Test
  void theEarliestOfSeveralStopsWins() {
    TextStream s = new TextStream(TextStreamTest::bytes, List.of("cd", "b"));
    StringBuilder sent = new StringBuilder();
    feed(s, "abcd", sent);
    assertThat(sent.toString()).isEqualTo("a");
    assertThat(s.flush()).isEmpty(); // the whole text was sent
  }
}
