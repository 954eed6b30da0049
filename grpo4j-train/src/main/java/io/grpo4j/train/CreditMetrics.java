package io.grpo4j.train;

import io.grpo4j.eval.ScoredSample;
import io.grpo4j.rl.TokenCredit;
import io.grpo4j.torch.Tensors;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/**
 * Where the credit of a GRPO step went, as metrics rows:
 *
 * <ul>
 *   <li>{@code adv/high_entropy_share}: share of Σ|A_t| on the 20 % of valid tokens with the
 *       highest sampling entropy (the "forking tokens"; 0.2 when credit ignores entropy);
 *   <li>{@code frac_all_success_groups}, {@code frac_all_fail_groups}: groups whose G completions
 *       all succeeded / all failed (the two kinds of groups the outcome cannot teach);
 *   <li>{@code line1_ok_rate} (Countdown steps format): share of completions whose first line is
 *       neither invalid nor a dead end, i.e. after which the target is still reachable.
 * </ul>
 */
final class CreditMetrics {
  /** The entropy quantile above which a token counts as high-entropy. */
  static final double HIGH_ENTROPY_QUANTILE = 0.8;

  private CreditMetrics() {}

  static Map<String, Object> of(
      Tensor advantages,
      Tensor entropy,
      Tensor mask,
      List<ScoredSample> scored,
      int groupSize,
      boolean countdownSteps) {
    Map<String, Object> row = new LinkedHashMap<>();
    float[] h = Tensors.toFloats(entropy);
    float[] m = Tensors.toFloats(mask);
    int n = 0;
    double[] valid = new double[h.length];
    for (int i = 0; i < h.length; i++) if (m[i] > 0) valid[n++] = h[i];
    double threshold = quantile(Arrays.copyOf(valid, n), HIGH_ENTROPY_QUANTILE);
    row.put(
        "adv/high_entropy_share",
        TokenCredit.highEntropyShare(advantages, entropy, mask, threshold));
    boolean[] success = new boolean[scored.size()];
    for (int i = 0; i < success.length; i++) success[i] = scored.get(i).outcome().success();
    double[] split = TokenCredit.allSuccessAllFail(success, groupSize);
    row.put("frac_all_success_groups", split[0]);
    row.put("frac_all_fail_groups", split[1]);
    if (countdownSteps) { // the steps verifier names the failing line first: "line 1: ..."
      long line1Failed =
          scored.stream().filter(s -> s.outcome().reason().startsWith("line 1: ")).count();
      row.put("line1_ok_rate", 1.0 - line1Failed / (double) Math.max(1, scored.size()));
    }
    return row;
  }

  /** The q-quantile (nearest rank, from below) of the values; 0 for none. */
  static double quantile(double[] values, double q) {
    if (values.length == 0) return 0;
    Arrays.sort(values);
    int idx = (int) Math.floor(q * (values.length - 1));
    return values[idx];
  }
}
