package io.grpo4j.model;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * GPT-2's {@code bytes_to_unicode} table, used by every byte-level BPE vocabulary (GPT-2, Qwen,
 * Llama 3 ...): each of the 256 byte values is written as one printable code point, so that a token
 * string never contains whitespace or control characters. The printable Latin-1 bytes ({@code
 * !}..{@code ~}, {@code ¡}..{@code ¬}, {@code ®}..{@code ÿ}) stand for themselves; the other 68
 * bytes are numbered upwards from U+0100 in byte order (space = U+0120 "Ġ", newline = U+010A "Ċ").
 *
 * <p>Why we need it: the trainer must know which raw bytes of the text each token contributes, and
 * the tiny preset's vocabulary is written with it.
 */
public final class ByteLevelAlphabet {

  private static final char[] BYTE_TO_CHAR = new char[256];
  private static final Map<Character, Integer> CHAR_TO_BYTE = new HashMap<>();

  static {
    int next = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      BYTE_TO_CHAR[b] = printable ? (char) b : (char) (256 + next++);
      CHAR_TO_BYTE.put(BYTE_TO_CHAR[b], b);
    }
  }

  private ByteLevelAlphabet() {}

  /** The code point that stands for byte {@code b} (0..255) in a byte-level token string. */
  public static char charOf(int b) {
    if (b < 0 || b > 255) {
      throw new IllegalArgumentException("byte value must be in 0..255, got " + b);
    }
    return BYTE_TO_CHAR[b];
  }

  /**
   * The raw bytes a byte-level token string stands for, or {@code null} when some character of it
   * is not in the alphabet (such a token is not a byte-level token; Hugging Face's ByteLevel
   * decoder then emits the string's own UTF-8 bytes).
   */
  public static byte[] decodeOrNull(String token) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(token.length());
    for (int i = 0; i < token.length(); i++) {
      Integer b = CHAR_TO_BYTE.get(token.charAt(i));
      if (b == null) {
        return null;
      }
      out.write(b);
    }
    return out.toByteArray();
  }

  /** Like {@link #decodeOrNull} but falls back to the string's UTF-8, as the HF decoder does. */
  public static byte[] decode(String token) {
    byte[] bytes = decodeOrNull(token);
    return bytes != null ? bytes : token.getBytes(StandardCharsets.UTF_8);
  }
}
