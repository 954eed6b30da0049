package io.grpo4j.task.reward;

import java.util.Arrays;

/**
 * Scores of prefixes of one completion, as a reward program may report them: {@code [[k, s], ...]}
 * says "the first k characters score s". Between reported offsets the score is a step function: a
 * prefix of length L scores the {@code s} of the largest reported {@code k <= L}, and 0 before the
 * first one. Lengths count Unicode code points (Python's {@code len(text)}), not UTF-16 units.
 *
 * <p>With {@link io.grpo4j.task.TokenRewards} these become token rewards exactly like the Countdown
 * validator's: {@code r_t = score(prefix ≤ t) − score(prefix < t)}, and the last token also
 * receives {@code reward − score(whole completion)}, so the token rewards sum to the reward.
 *
 * @param offsets strictly increasing prefix lengths in code points, each in {@code [0, length]}
 * @param scores the finite score of each prefix
 */
public record PrefixScores(int[] offsets, double[] scores) {
  public PrefixScores {
    if (offsets.length != scores.length) {
      throw new IllegalArgumentException(
          "prefix_scores: " + offsets.length + " offsets but " + scores.length + " scores");
    }
    offsets = offsets.clone();
    scores = scores.clone();
    for (int i = 0; i < offsets.length; i++) {
      if (offsets[i] < 0 || (i > 0 && offsets[i] <= offsets[i - 1])) {
        throw new IllegalArgumentException(
            "prefix_scores: offsets must be >= 0 and strictly increasing, got "
                + Arrays.toString(offsets));
      }
      if (!Double.isFinite(scores[i])) {
        throw new IllegalArgumentException(
            "prefix_scores: score at offset " + offsets[i] + " is not finite: " + scores[i]);
      }
    }
  }

  /** The score of the prefix made of the first {@code codePoints} characters. */
  public double at(int codePoints) {
    int lo = 0;
    int hi = offsets.length - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (offsets[mid] <= codePoints) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? 0.0 : scores[found];
  }

  /** The score of a prefix given as text. */
  public double at(CharSequence prefix) {
    return at(Character.codePointCount(prefix, 0, prefix.length()));
  }

  /** The largest reported offset, or -1 when there is none. */
  public int lastOffset() {
    return offsets.length == 0 ? -1 : offsets[offsets.length - 1];
  }

  /**
   * Σ wᵢ·sᵢ of several step functions: the result steps at the union of their offsets. A null entry
   * (a source without prefix scores) contributes 0 to every prefix.
   */
  public static PrefixScores weightedSum(PrefixScores[] parts, double[] weights) {
    int[] all =
        Arrays.stream(parts)
            .filter(p -> p != null)
            .flatMapToInt(p -> Arrays.stream(p.offsets))
            .distinct()
            .sorted()
            .toArray();
    double[] sum = new double[all.length];
    for (int i = 0; i < all.length; i++) {
      for (int j = 0; j < parts.length; j++) {
        if (parts[j] != null) sum[i] += weights[j] * parts[j].at(all[i]);
      }
    }
    return new PrefixScores(all, sum);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PrefixScores p
        && Arrays.equals(offsets, p.offsets)
        && Arrays.equals(scores, p.scores);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(offsets) + Arrays.hashCode(scores);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < offsets.length; i++) {
      if (i > 0) sb.append(", ");
      sb.append('[').append(offsets[i]).append(", ").append(scores[i]).append(']');
    }
    return sb.append(']').toString();
  }
}
