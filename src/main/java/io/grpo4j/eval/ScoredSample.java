package io.grpo4j.eval;

import io.grpo4j.generate.Sample;
import io.grpo4j.model.Tokenizer;
import io.grpo4j.task.Outcome;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Task;
import io.grpo4j.task.TokenRewards;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A sample with its verdict: the decoded text, the token rewards pref_t (the verifier's prefix
 * score differences, summing to the outcome reward) and the outcome.
 */
public record ScoredSample(Sample sample, String text, double[] tokenRewards, Outcome outcome) {

  /** Scores a sample. Stop tokens contribute no text: they end the answer. */
  public static <D> ScoredSample score(
      Task<D> task, Problem<D> problem, Sample s, Tokenizer tokenizer, Set<Integer> stops) {
    List<byte[]> bytes = new ArrayList<>(s.length());
    for (int id : s.completionIds()) {
      bytes.add(stops.contains(id) ? new byte[0] : tokenizer.tokenBytes(id));
    }
    // The completion is over (stopped or cut at the length limit), so the last token's cumulative
    // value is the verdict on the text as it stands and the rewards sum to the outcome reward.
    double[] r = TokenRewards.fromPrefixScores(task.verifier(), problem, bytes, true);
    String decoded = decodeAll(bytes);
    Outcome o = task.verifier().outcome(problem, decoded);
    return new ScoredSample(s, decoded, r, o);
  }

  private static String decodeAll(List<byte[]> bytes) {
    int n = 0;
    for (byte[] b : bytes) n += b.length;
    byte[] all = new byte[n];
    int at = 0;
    for (byte[] b : bytes) {
      System.arraycopy(b, 0, all, at, b.length);
      at += b.length;
    }
    return new String(all, java.nio.charset.StandardCharsets.UTF_8);
  }

  public double totalTokenReward() {
    double s = 0;
    for (double r : tokenRewards) s += r;
    return s;
  }
}
