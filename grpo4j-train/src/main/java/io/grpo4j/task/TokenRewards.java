package io.grpo4j.task;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns a verifier's prefix scores into per-token rewards: {@code r_t = score(text of tokens 0..t)
 * - score(text of tokens 0..t-1)}, with the empty text as the start. The rewards telescope, so
 * their sum is {@code score(whole text) - score("")}, i.e. the final prefix score for verifiers
 * that score the empty prefix 0.
 *
 * <p>Tokens arrive as raw bytes because byte-level BPE tokens need not end on a character boundary.
 * The text at a boundary is the UTF-8 decoding of all bytes so far, <em>excluding</em> an
 * incomplete multi-byte character at the end: such a character is judged when its last byte
 * arrives, never as a U+FFFD replacement. (Bytes that are invalid UTF-8 whatever follows are
 * decoded to U+FFFD as usual.) Special tokens such as end-of-text must be passed as empty arrays:
 * they are not part of the answer text.
 */
public final class TokenRewards {
  private TokenRewards() {}

  /**
   * Per-token rewards. With {@code endOfText} true the completion ended after its last token (stop
   * token or end of text), so the last token's cumulative value is the verifier's {@link
   * Verifier#outcome} reward instead of the prefix score: a line or answer left open at the end is
   * judged as it stands, and the sum of the rewards equals the outcome reward. With it false the
   * completion may continue (truncated or still generating).
   */
  public static <D> double[] fromPrefixScores(
      Verifier<D> verifier, Problem<D> problem, List<byte[]> tokens, boolean endOfText) {
    double[] rewards = new double[tokens.size()];
    if (tokens.isEmpty()) {
      return rewards;
    }
    WholeCharDecoder text = new WholeCharDecoder();
    double previous = verifier.score(problem, "").value();
    for (int t = 0; t < tokens.size(); t++) {
      text.append(tokens.get(t));
      boolean last = t == tokens.size() - 1;
      double current =
          last && endOfText
              ? verifier.outcome(problem, text.text()).reward()
              : verifier.score(problem, text.text()).value();
      rewards[t] = current - previous;
      previous = current;
    }
    return rewards;
  }

  /**
   * Decodes a byte stream incrementally into the text of its complete characters; an incomplete
   * trailing sequence waits for its remaining bytes.
   */
  static final class WholeCharDecoder {
    private final CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private final StringBuilder text = new StringBuilder();
    private ByteBuffer pending = ByteBuffer.allocate(64);
    private CharBuffer chars = CharBuffer.allocate(64);

    void append(byte[] bytes) {
      if (pending.remaining() < bytes.length) {
        ByteBuffer bigger =
            ByteBuffer.allocate(
                Math.max(pending.capacity() * 2, pending.position() + bytes.length));
        pending.flip();
        bigger.put(pending);
        pending = bigger;
      }
      pending.put(bytes);
      pending.flip();
      if (chars.capacity() < pending.remaining()) {
        chars = CharBuffer.allocate(pending.remaining());
      }
      chars.clear();
      // endOfInput=false: an incomplete sequence at the end stays in `pending` (UNDERFLOW).
      decoder.decode(pending, chars, false);
      chars.flip();
      text.append(chars);
      pending.compact();
    }

    /** The decoded text of all complete characters so far (a live view, do not keep it). */
    CharSequence text() {
      return text;
    }
  }
}
