package io.grpo4j.train;

import io.grpo4j.eval.ScoredSample;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.rl.KlPenalty;
import io.grpo4j.rl.Masked;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;

/**
 * How far a policy has drifted from a reference on given completions: the mean per-token exact
 * KL(π‖π_ref) and KL(π_ref‖π) over every completion token (teacher-forced on the completions).
 */
public final class KlDrift {
  private KlDrift() {}

  /** {forward, reverse}, means over all completion tokens of {@code samples}. */
  public static double[] measure(
      Qwen2Model policy, Qwen2Model reference, List<ScoredSample> samples, int microBatch) {
    double forward = 0;
    double reverse = 0;
    double tokens = 0;
    try (NoGradGuard ng = new NoGradGuard()) {
      for (int from = 0; from < samples.size(); from += microBatch) {
        try (PointerScope scope = new PointerScope()) {
          RolloutBatch b =
              RolloutBatch.of(
                  samples.subList(from, Math.min(samples.size(), from + microBatch)),
                  policy.device());
          KlPenalty.Terms t =
              KlPenalty.exact(
                  b.completionLogits(policy, 0, b.rows()),
                  b.completionLogits(reference, 0, b.rows()));
          forward += Masked.sum(t.forward(), b.mask()).item_double();
          reverse += Masked.sum(t.reverse(), b.mask()).item_double();
          tokens += Masked.count(b.mask()).item_double();
        }
      }
    }
    return new double[] {forward / Math.max(1, tokens), reverse / Math.max(1, tokens)};
  }
}
