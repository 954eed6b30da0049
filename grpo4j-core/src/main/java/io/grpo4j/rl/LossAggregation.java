package io.grpo4j.rl;

import static io.grpo4j.torch.Ops.clampMin;
import static io.grpo4j.torch.Ops.div;
import static io.grpo4j.torch.Ops.gt;

import io.grpo4j.torch.Tensors;
import org.bytedeco.pytorch.Tensor;

/**
 * How per-token losses {@code L [B, T]} become one scalar ({@code rl.aggregation}). The choice
 * decides how much each token weighs: with SEQUENCE a token of a short completion weighs more than
 * one of a long completion (GRPO's length bias); TOKEN and CONSTANT weigh all tokens equally. The
 * KL terms are aggregated the same way as the policy term.
 */
public enum LossAggregation implements ConfigName {
  /** Σ_{i,t} m·L / Σ_{i,t} m: mean over all valid tokens of the batch (DAPO). */
  TOKEN,
  /**
   * (1/B') Σ_i [Σ_t m_{i,t}·L_{i,t} / Σ_t m_{i,t}]: mean per completion, then mean over the B'
   * completions that have at least one token (original GRPO).
   */
  SEQUENCE,
  /** Σ_{i,t} m·L / (B·C), C a fixed constant = the maximum completion length (Dr.GRPO). */
  CONSTANT;

  /** Parses the config spelling (case-insensitive). */
  public static LossAggregation parse(String name) {
    return ConfigName.parse(LossAggregation.class, "rl.aggregation", name);
  }

  /**
   * The share w of the whole batch's loss that one micro-batch's {@link #reduce} carries, so that
   * Σ_micro w·reduce(micro) = reduce(batch) and the accumulated gradient is the whole batch's:
   *
   * <ul>
   *   <li>TOKEN: w = Σ m_micro / Σ m_batch (valid tokens);
   *   <li>SEQUENCE: w = B'_micro / B'_batch (rows with at least one valid token);
   *   <li>CONSTANT: w = B_micro / B_batch (rows; the divisor C is the same for both).
   * </ul>
   *
   * The batch is given by its {@code batchSize} ({@link #size} of its completion mask): with
   * data-parallel ranks the batch is the concatenation of every rank's, and its size the sum of
   * theirs, so each rank's losses sum to the loss of one process on the whole batch.
   *
   * @param microMask the micro-batch's completion mask {@code [b, T']}
   */
  public double microBatchWeight(Tensor microMask, double batchSize) {
    return size(microMask) / batchSize;
  }

  /**
   * What the weights count in a completion mask {@code [B, T]}: valid tokens (TOKEN), rows with at
   * least one valid token (SEQUENCE), rows (CONSTANT).
   */
  public double size(Tensor mask) {
    Shapes.requireDim("mask", mask, 2);
    return switch (this) {
      case TOKEN -> Masked.count(mask).item_double();
      case SEQUENCE -> nonEmptyRows(mask);
      case CONSTANT -> mask.size(0);
    };
  }

  /** Rows of {@code mask} [B, T] with at least one valid token. */
  private static double nonEmptyRows(Tensor mask) {
    double rows = 0;
    for (double tokens : Tensors.toDoubles(Masked.rowSum(mask, mask))) {
      if (tokens > 0) rows++;
    }
    return rows;
  }

  /**
   * Per-token weights w {@code [B, T]} with {@code reduce(L, mask, C) = Σ_{i,t} w_{i,t}·L_{i,t}}
   * for every L: TOKEN w = m / Σ m; SEQUENCE w = m_{i,t} / (n_i·B'), n_i the row's valid tokens;
   * CONSTANT w = m / (B·C). For losses whose tokens are not computed row by row — a
   * masked-diffusion trajectory computes the tokens committed at one denoising step together — a
   * part of the batch then carries Σ_{(i,t) in part} w·L, and the parts add up to the whole.
   */
  public Tensor tokenWeights(Tensor mask, long maxCompletionLength) {
    Shapes.requireDim("mask", mask, 2);
    Tensor m = mask.to(org.bytedeco.pytorch.global.torch.ScalarType.Double);
    return switch (this) {
      case TOKEN -> m.div(clampMin(m.sum(), 1.0));
      case SEQUENCE -> {
        Tensor n = Masked.count(m, 1).unsqueeze(1); // [B, 1]
        Tensor nonEmpty = gt(n, 0.0).to(m.scalar_type()).sum();
        yield m.div(clampMin(n, 1.0)).div(clampMin(nonEmpty, 1.0));
      }
      case CONSTANT -> {
        if (maxCompletionLength < 1) {
          throw new IllegalArgumentException(
              "constant loss aggregation needs the maximum completion length >= 1, got "
                  + maxCompletionLength);
        }
        yield div(m, (double) mask.size(0) * maxCompletionLength);
      }
    };
  }

  /**
   * @param perToken L {@code [B, T]}
   * @param mask completion mask {@code [B, T]}
   * @param maxCompletionLength C for {@link #CONSTANT} ({@code sampling.max_new_tokens}); ignored
   *     by the other modes
   * @return 0-d tensor, differentiable w.r.t. {@code perToken}
   */
  public Tensor reduce(Tensor perToken, Tensor mask, long maxCompletionLength) {
    Shapes.requireDim("perToken", perToken, 2);
    Shapes.requireSameShape("mask", mask, "perToken", perToken);
    return switch (this) {
      case TOKEN -> Masked.mean(perToken, mask);
      case SEQUENCE -> {
        Tensor m = Shapes.maskLike(mask, perToken);
        Tensor rowMeans = Masked.rowMean(perToken, m);
        Tensor nonEmptyRows = gt(Masked.count(m, 1), 0.0).to(perToken.scalar_type()).sum();
        yield rowMeans.sum().div(clampMin(nonEmptyRows, 1.0));
      }
      case CONSTANT -> {
        if (maxCompletionLength < 1) {
          throw new IllegalArgumentException(
              "constant loss aggregation needs the maximum completion length >= 1, got "
                  + maxCompletionLength);
        }
        yield div(Masked.sum(perToken, mask), (double) perToken.size(0) * maxCompletionLength);
      }
    };
  }
}
