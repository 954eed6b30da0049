package io.grpo4j.eval;

import io.grpo4j.generate.Sample;
import io.grpo4j.model.Tokenizer;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Task;
import io.grpo4j.task.TokenRewards;
import io.grpo4j.task.Verdict;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Scores a batch of samples with one call to {@link Task#judge} (so a reward program or service
 * sees the whole batch at once), then turns each verdict's prefix scores into token rewards. A
 * sample whose reward request failed comes back as a failure, not as a reward.
 */
public final class Scoring {
  private Scoring() {}

  /**
   * One sample's result.
   *
   * @param scored the scored sample, null when judging failed
   * @param text the completion text
   * @param failure why judging failed, null when scored
   */
  public record Result(ScoredSample scored, String text, String failure) {
    public boolean failed() {
      return failure != null;
    }
  }

  /**
   * Scores {@code samples.get(i)} as an answer to {@code problems.get(i)}. Stop tokens contribute
   * no text: they end the answer; the last token's cumulative value is the verdict's outcome, so
   * the token rewards sum to the outcome reward.
   */
  public static <D> List<Result> scoreAll(
      Task<D> task,
      List<Problem<D>> problems,
      List<Sample> samples,
      Tokenizer tokenizer,
      Set<Integer> stops) {
    List<List<byte[]>> tokens = new ArrayList<>(samples.size());
    List<String> texts = new ArrayList<>(samples.size());
    for (Sample s : samples) {
      List<byte[]> bytes = new ArrayList<>(s.length());
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      for (int id : s.completionIds()) {
        byte[] b = stops.contains(id) ? new byte[0] : tokenizer.tokenBytes(id);
        bytes.add(b);
        all.writeBytes(b);
      }
      tokens.add(bytes);
      texts.add(all.toString(StandardCharsets.UTF_8));
    }
    List<Verdict<D>> verdicts = task.judge(problems, texts);
    List<Result> out = new ArrayList<>(samples.size());
    for (int i = 0; i < samples.size(); i++) {
      Verdict<D> v = verdicts.get(i);
      if (v.failed()) {
        out.add(new Result(null, texts.get(i), v.failure()));
        continue;
      }
      double[] r =
          TokenRewards.fromPrefixScores(v.prefixes(), problems.get(i), tokens.get(i), true);
      out.add(
          new Result(
              new ScoredSample(samples.get(i), texts.get(i), r, v.outcome()), texts.get(i), null));
    }
    return out;
  }
}
