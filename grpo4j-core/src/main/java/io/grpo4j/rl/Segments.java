package io.grpo4j.rl;

import org.bytedeco.pytorch.Tensor;

/**
 * Where the completions of a batch are cut into segments, and what is known at the cuts: the input
 * of the {@link AdvantageMode#TREE} and {@link AdvantageMode#MC_PREFIX} credit ({@link
 * TokenCredit#segmentDeltas}).
 *
 * @param starts b {@code [B, S]}: the first token of each segment after the first, per row,
 *     nondecreasing; spare columns hold the row's length
 * @param values {@code [B, S]} Monte-Carlo estimates V̂ of the state at each cut ({@link
 *     AdvantageMode#MC_PREFIX}; spare columns hold the row's own R), or null for a tree, whose
 *     values follow from its leaves ({@link TokenCredit#treeValues})
 * @param widths the tree's widths w_1 … w_d (S = d − 1), or null for measured values
 */
public record Segments(Tensor starts, Tensor values, int[] widths) {
  public Segments {
    if (starts == null) throw new IllegalArgumentException("segment starts are required");
    if ((values == null) == (widths == null)) {
      throw new IllegalArgumentException("segments need either measured values or tree widths");
    }
    if (widths != null && starts.size(1) != widths.length - 1) {
      throw new IllegalArgumentException(
          "a tree of depth "
              + widths.length
              + " has "
              + (widths.length - 1)
              + " branch points per leaf, starts has "
              + starts.size(1));
    }
  }

  /** The segments of prefix-tree rollouts: leaf i branched at {@code starts[i, k−1]}, k < d. */
  public static Segments tree(Tensor starts, int[] widths) {
    return new Segments(starts, null, widths.clone());
  }

  /** Segments with values measured at their cuts (e.g. by Monte-Carlo continuations). */
  public static Segments measured(Tensor starts, Tensor values) {
    return new Segments(starts, values, null);
  }

  /** V at the cuts {@code [B, S]}: the measured values, or the tree's node means. */
  public Tensor valuesFor(Tensor sequenceRewards) {
    return values != null ? values : TokenCredit.treeValues(sequenceRewards, widths);
  }
}
