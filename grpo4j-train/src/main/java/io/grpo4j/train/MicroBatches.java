package io.grpo4j.train;

import io.grpo4j.torch.Tensors;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Length bucketing: the rows of a batch, sorted by length and cut into micro-batches, so that each
 * micro-batch (trimmed by {@link RolloutBatch#select}) is as wide as its own longest row rather
 * than the batch's. The loss is a sum over rows weighted per micro-batch, so the order in which
 * rows are visited does not change it (only the floating-point summation order).
 */
final class MicroBatches {
  private MicroBatches() {}

  /**
   * Row indices grouped into micro-batches of at most {@code size} rows of similar {@code lengths}.
   */
  static List<int[]> byLength(int[] lengths, int size) {
    if (size < 1) throw new IllegalArgumentException("micro-batch size must be >= 1, got " + size);
    int[] order =
        IntStream.range(0, lengths.length)
            .boxed()
            .sorted(Comparator.<Integer>comparingInt(i -> lengths[i]).thenComparingInt(i -> i))
            .mapToInt(Integer::intValue)
            .toArray();
    return chunks(order, size);
  }

  /**
   * Like {@link #byLength}, but the rows of one prompt stay together (they share its forward pass,
   * {@link RolloutBatch#trainingPass}): prompts are ordered by their longest row, and each prompt's
   * rows by length. With {@code size} a multiple of the group size every micro-batch holds whole
   * groups.
   */
  static List<int[]> byPrompt(int[] lengths, int[] promptOf, int size) {
    if (size < 1) throw new IllegalArgumentException("micro-batch size must be >= 1, got " + size);
    java.util.Map<Integer, Integer> longest = new java.util.HashMap<>();
    for (int i = 0; i < lengths.length; i++) longest.merge(promptOf[i], lengths[i], Math::max);
    int[] order =
        IntStream.range(0, lengths.length)
            .boxed()
            .sorted(
                Comparator.<Integer>comparingInt(i -> longest.get(promptOf[i]))
                    .thenComparingInt(i -> promptOf[i])
                    .thenComparingInt(i -> lengths[i])
                    .thenComparingInt(i -> i))
            .mapToInt(Integer::intValue)
            .toArray();
    return chunks(order, size);
  }

  private static List<int[]> chunks(int[] order, int size) {
    List<int[]> out = new ArrayList<>();
    for (int from = 0; from < order.length; from += size) {
      out.add(java.util.Arrays.copyOfRange(order, from, Math.min(order.length, from + size)));
    }
    return out;
  }

  /**
   * Token positions the policy's forward pass computes over all micro-batches: rows x (prompt +
   * completion width), or with prompt sharing each distinct prompt once plus every row's completion
   * positions but the last (whose output predicts nothing).
   */
  static long forwardPositions(List<RolloutBatch> parts, boolean sharePrompt) {
    long n = 0;
    for (RolloutBatch p : parts) {
      if (sharePrompt && p.sharesPrompts()) {
        n += (long) p.distinctPrompts() * p.promptWidth() + (long) p.rows() * (p.width() - 1);
      } else {
        n += (long) p.rows() * (p.promptWidth() + p.width());
      }
    }
    return n;
  }

  /**
   * The per-token tensor [B, T] cut like {@code parts}: rows {@code plan[i]}, as many columns as
   * part i.
   */
  static List<Tensor> split(Tensor perToken, List<int[]> plan, List<RolloutBatch> parts) {
    List<Tensor> out = new ArrayList<>();
    for (int i = 0; i < plan.size(); i++) {
      Tensor idx =
          Tensors.longs(java.util.Arrays.stream(plan.get(i)).asLongStream().toArray())
              .to(perToken.device(), torch.ScalarType.Long);
      out.add(RolloutBatch.cut(perToken, idx, parts.get(i).width()));
    }
    return out;
  }

  /**
   * Padding fraction of the whole batch computed at its full width (micro-batches in row order,
   * untrimmed).
   */
  static double paddingFraction(RolloutBatch b) {
    double real = 0;
    for (int len : b.rowLengths()) real += len;
    return 1 - real / ((double) b.rows() * (b.promptWidth() + b.width()));
  }

  /** Fraction of the positions a forward pass computes that are padding, over all micro-batches. */
  static double paddingFraction(List<RolloutBatch> parts) {
    double computed = 0;
    double real = 0;
    for (RolloutBatch p : parts) {
      computed += (double) p.rows() * (p.promptWidth() + p.width());
      for (int len : p.rowLengths()) real += len;
    }
    return computed == 0 ? 0 : 1 - real / computed;
  }
}
