package io.grpo4j.serve;

import java.util.List;
import java.util.function.Function;

/**
 * The text of one completion as its tokens arrive: what may be sent to the client so far, and
 * whether a stop string has appeared.
 *
 * <p>Two things hold text back: a trailing U+FFFD (a byte-level token may end inside a multi-byte
 * UTF-8 character, which the next token completes), and a tail that could be the beginning of a
 * stop string (it must not be sent if the stop string then completes). The stop string itself and
 * everything after it are never sent.
 */
final class TextStream {
  private final Function<int[], String> decode;
  private final List<String> stops;
  private int[] ids = new int[16];
  private int count;
  private String text = "";
  private int sent;
  private boolean stopped;

  TextStream(Function<int[], String> decode, List<String> stops) {
    this.decode = decode;
    this.stops = stops;
  }

  /** Adds a token; returns the text that may be sent now (possibly empty). */
  String push(int id) {
    if (stopped) throw new IllegalStateException("a stop string already ended this completion");
    if (count == ids.length) ids = java.util.Arrays.copyOf(ids, count * 2);
    ids[count++] = id;
    text = decode.apply(java.util.Arrays.copyOf(ids, count));
    int cut = firstStop();
    if (cut >= 0) {
      stopped = true;
      text = text.substring(0, Math.max(cut, sent)); // held-back text guarantees cut >= sent
      return take(text.length());
    }
    int safe = text.length() - heldBack();
    return take(Math.max(safe, sent));
  }

  /** The completion ended: everything not yet sent (nothing after a stop string). */
  String flush() {
    return take(text.length());
  }

  /** True once a stop string appeared: the caller ends the completion. */
  boolean stopped() {
    return stopped;
  }

  private String take(int upTo) {
    String piece = text.substring(sent, upTo);
    sent = upTo;
    return piece;
  }

  private int firstStop() {
    int best = -1;
    for (String s : stops) {
      int from = Math.max(0, sent - s.length());
      int at = text.indexOf(s, from);
      if (at >= 0 && (best < 0 || at < best)) best = at;
    }
    return best;
  }

  /**
   * Characters at the end that must wait: an incomplete character or a possible stop-string start.
   */
  private int heldBack() {
    int hold = 0;
    int n = text.length();
    while (hold < n && text.charAt(n - 1 - hold) == '\uFFFD') hold++;
    for (String s : stops) {
      for (int k = Math.min(s.length() - 1, n); k > hold; k--) {
        if (text.regionMatches(n - k, s, 0, k)) {
          hold = k;
          break;
        }
      }
    }
    return hold;
  }
}
