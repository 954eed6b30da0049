package io.grpo4j.generate;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;

/**
 * The shape of prefix-tree rollouts ({@link Sampler#generateTree}): every prompt's G = w_1·…·w_d
 * completions grow as a tree whose shared prefixes are decoded once. The prompt forks into w_1
 * rows; a row at depth k &lt; d forks into w_{k+1} children at its next branch point ({@link
 * BranchAt}), each child continuing from a copy of its parent's KV cache; rows at depth d run to
 * their stop token or the length limit.
 *
 * @param widths w_1 … w_d, each ≥ 1
 * @param branchAt where a row forks
 * @param boundaryTokens token ids that end a line ({@link BranchAt#LINE_END}): a row forks after
 *     sampling one of them
 * @param entropyThreshold nats ({@link BranchAt#ENTROPY}): a row forks at a position whose sampling
 *     distribution has at least this entropy, not at the first token of its segment
 */
public record TreeShape(
    int[] widths, BranchAt branchAt, Set<Integer> boundaryTokens, double entropyThreshold) {

  /** Where a row of a tree forks into its children. */
  public enum BranchAt {
    /** after a token that ends a line: the children differ from the next line on */
    LINE_END,
    /**
     * at an uncertain position: the children each sample the token there (the "forking tokens" of
     * high entropy)
     */
    ENTROPY;

    /** Parses {@code line_end} or {@code entropy} (case-insensitive, '-' for '_'). */
    public static BranchAt parse(String name) {
      return switch (name == null ? "" : name.trim().toLowerCase(Locale.ROOT).replace('-', '_')) {
        case "line_end" -> LINE_END;
        case "entropy" -> ENTROPY;
        default ->
            throw new IllegalArgumentException(
                "sampling.tree.branch_at must be line_end or entropy, got '" + name + "'");
      };
    }
  }

  public TreeShape {
    if (widths == null || widths.length == 0) {
      throw new IllegalArgumentException("sampling.tree.widths must list at least one width");
    }
    widths = widths.clone();
    long g = 1;
    for (int w : widths) {
      if (w < 1) {
        throw new IllegalArgumentException(
            "sampling.tree.widths must all be >= 1, got " + Arrays.toString(widths));
      }
      g *= w;
    }
    if (g > 1 << 16) throw new IllegalArgumentException("sampling.tree has " + g + " leaves");
    if (branchAt == null) throw new IllegalArgumentException("sampling.tree.branch_at must be set");
    boundaryTokens = boundaryTokens == null ? Set.of() : Set.copyOf(boundaryTokens);
    if (branchAt == BranchAt.ENTROPY && !(entropyThreshold >= 0)) {
      throw new IllegalArgumentException(
          "sampling.tree.entropy_threshold must be >= 0, got " + entropyThreshold);
    }
  }

  @Override
  public int[] widths() {
    return widths.clone();
  }

  /** G, the leaves of one prompt's tree. */
  public int leaves() {
    int g = 1;
    for (int w : widths) g *= w;
    return g;
  }

  /** d, the levels of the tree (a completion has at most d − 1 branch points). */
  public int depth() {
    return widths.length;
  }

  /** w_k for k = 1 … d. */
  int width(int k) {
    return widths[k - 1];
  }
}
