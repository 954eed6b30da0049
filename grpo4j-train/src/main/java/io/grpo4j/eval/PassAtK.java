package io.grpo4j.eval;

import java.util.List;

/**
 * The unbiased pass@k estimator of Chen et al. 2021 ("Evaluating Large Language Models Trained on
 * Code"): with n samples of a problem of which c are correct,
 *
 * <pre>pass@k = 1 − C(n − c, k) / C(n, k) = 1 − Π_{i=n−c+1}^{n} (1 − k / i)</pre>
 *
 * the probability that at least one of k samples drawn without replacement from the n is correct,
 * averaged over problems. pass@1 is the plain success rate of the samples; pass@k at k = n is the
 * share of problems with at least one correct sample.
 */
public final class PassAtK {
  private PassAtK() {}

  /** pass@k of one problem: n samples, c correct, 1 ≤ k ≤ n. */
  public static double estimate(int n, int c, int k) {
    if (n < 1 || c < 0 || c > n || k < 1 || k > n) {
      throw new IllegalArgumentException(
          "pass@k needs 1 <= k <= n and 0 <= c <= n, got n=" + n + " c=" + c + " k=" + k);
    }
    if (n - c < k) return 1.0;
    double fail = 1.0;
    for (int i = n - c + 1; i <= n; i++) fail *= 1.0 - (double) k / i;
    return 1.0 - fail;
  }

  /**
   * Mean pass@k over problems; {@code samples} holds n consecutive samples per problem (the order
   * {@link Evaluator} returns them in).
   */
  public static double of(List<ScoredSample> samples, int n, int k) {
    if (n < 1 || samples.isEmpty() || samples.size() % n != 0) {
      throw new IllegalArgumentException(
          samples.size() + " samples are not a whole number of groups of " + n);
    }
    int problems = samples.size() / n;
    double sum = 0;
    for (int p = 0; p < problems; p++) {
      int c = 0;
      for (int i = 0; i < n; i++) if (samples.get(p * n + i).outcome().success()) c++;
      sum += estimate(n, c, k);
    }
    return sum / problems;
  }
}
