package io.grpo4j.train;

import io.grpo4j.model.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

/**
 * The token ids after which an answer may be cut into segments: those whose bytes contain the
 * task's step delimiter ({@link io.grpo4j.task.Task#segmentDelimiter}, a newline for Countdown and
 * JSONL tasks). Tree rollouts branch after such a token ({@code sampling.tree.branch_at:
 * line_end}); Monte-Carlo prefix values are measured after one ({@link McPrefix}).
 */
final class SegmentCuts {
  private SegmentCuts() {}

  /** Ids below {@code samplable}, stop tokens excluded, whose bytes contain the delimiter's. */
  static Set<Integer> tokens(
      Tokenizer tokenizer, int samplable, String delimiter, Set<Integer> stops) {
    byte[] d = delimiter.getBytes(StandardCharsets.UTF_8);
    if (d.length == 0) throw new IllegalArgumentException("the task's segment delimiter is empty");
    Set<Integer> out = new HashSet<>();
    int n = Math.min(samplable, tokenizer.vocabSize());
    for (int id = 0; id < n; id++) {
      if (stops.contains(id)) continue;
      if (contains(tokenizer.tokenBytes(id), d)) out.add(id);
    }
    return out;
  }

  static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
      return true;
    }
    return false;
  }
}
