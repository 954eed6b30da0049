package io.grpo4j.rl;

import static io.grpo4j.torch.Ops.div;
import static io.grpo4j.torch.Ops.mul;
import static io.grpo4j.torch.Ops.sub;

import org.bytedeco.pytorch.Tensor;

/**
 * A*-PO, policy optimisation by optimal advantage regression (Brantley, Chen, Gao et al. 2025,
 * arXiv:2505.20686), in two stages.
 *
 * <p><b>Stage 1</b>, once per run, offline: N completions y_1..y_N ~ π_ref(·|x) of every training
 * prompt x, their rewards r_i, and the optimal value of the KL-regularised objective estimated as
 *
 * <pre>V̂*(x) = β1·ln( (1/N)·Σ_i exp(r_i / β1) )</pre>
 *
 * ({@link #optimalValue}): the soft maximum of the rewards, from the mean (β1 → ∞) to the maximum
 * (β1 → 0). It is the empirical form of V*(x) = β·ln E_{π_ref}[exp(r/β)], the value of the optimal
 * policy π*(y|x) ∝ π_ref(y|x)·exp(r(x, y)/β).
 *
 * <p><b>Stage 2</b>, on-policy: one completion y ~ π_θ(·|x) per prompt, reward r, and the
 * least-squares regression of the policy's log-ratio on the optimal advantage r − V̂*(x):
 *
 * <pre>
 * ℓ_i = ( β2·Σ_t m_{i,t}·(log π_θ(y_{i,t}|s_{i,t}) − log π_ref(y_{i,t}|s_{i,t})) − (r_i − V̂*(x_i)) )²
 * L   = (1/B)·Σ_i ℓ_i
 * </pre>
 *
 * ({@link #loss}; m the completion mask, B the rows). At the optimum π* the residual is zero for
 * every y when β1 = β2 = β, since β·ln(π*(y|x) / π_ref(y|x)) = r − V*(x); so the loss needs no
 * clipping, no importance ratio and no separate KL term: β2 is the trust region. Its gradient
 * w.r.t. a token's log-probability is (2β2/B)·res_i, res_i = β2·(log-ratio sum) − (r_i − V̂*): a
 * row whose log-ratio falls short of its advantage is pushed up, as REINFORCE with the advantage
 * −res_i.
 *
 * <p>This record is also the run config's {@code rl.astar} section (used when {@code
 * rl.algorithm=astar_po}); each setting's default, and why, is the constant named after it.
 *
 * @param samples N, completions of π_ref per training prompt in stage 1 ({@code rl.astar.samples},
 *     {@link #SAMPLES})
 * @param beta1 β1 &gt; 0 of V̂* ({@code rl.astar.beta1}, {@link #BETA1})
 * @param beta2 β2 &gt; 0 of the regression ({@code rl.astar.beta2}, {@link #BETA2})
 * @param prompts training prompts stage 1 values and stage 2 cycles through ({@code
 *     rl.astar.prompts}, {@link #PROMPTS}); a dataset task's first rows in its epoch order, or
 *     fresh draws of a generator task outside the held-out set
 * @param dropUnsolved leave out of stage 2 the prompts none of whose N stage-1 samples succeeded
 *     ({@code rl.astar.drop_unsolved}, {@link #DROP_UNSOLVED})
 */
public record AStarPo(int samples, double beta1, double beta2, int prompts, boolean dropUnsolved) {

  /** Default {@code rl.astar.samples}: the paper's N = 8. */
  public static final int SAMPLES = 8;

  /** Default {@code rl.astar.beta1}: the paper's β1 = 0.5 (rewards 0/1). */
  public static final double BETA1 = 0.5;

  /** Default {@code rl.astar.beta2}: the paper's β2 = 1e-3. */
  public static final double BETA2 = 1e-3;

  /** Default {@code rl.astar.prompts}. */
  public static final int PROMPTS = 1024;

  /**
   * Default {@code rl.astar.drop_unsolved}: off, as the paper's runs ({@code filter_incorrect}).
   */
  public static final boolean DROP_UNSOLVED = false;

  /** The defaults above, the run config's {@code rl.astar} section unless it is set. */
  public static final AStarPo DEFAULTS = new AStarPo(SAMPLES, BETA1, BETA2, PROMPTS, DROP_UNSOLVED);

  public AStarPo {
    if (samples < 1) {
      throw new IllegalArgumentException("rl.astar.samples must be >= 1, got " + samples);
    }
    if (!(beta1 > 0) || Double.isInfinite(beta1)) {
      throw new IllegalArgumentException("rl.astar.beta1 must be finite and > 0, got " + beta1);
    }
    if (!(beta2 > 0) || Double.isInfinite(beta2)) {
      throw new IllegalArgumentException("rl.astar.beta2 must be finite and > 0, got " + beta2);
    }
    if (prompts < 1) {
      throw new IllegalArgumentException("rl.astar.prompts must be >= 1, got " + prompts);
    }
  }

  /**
   * V̂* = β1·ln((1/N)·Σ_i exp(r_i/β1)), computed as max r + β1·ln((1/N)·Σ_i exp((r_i − max r)/β1))
   * so that no exponent overflows (r/β1 = 2000 is fine).
   *
   * @param rewards r_1..r_N, N ≥ 1, finite
   */
  public static double optimalValue(double[] rewards, double beta1) {
    if (rewards.length == 0) throw new IllegalArgumentException("V* needs at least one reward");
    double max = Double.NEGATIVE_INFINITY;
    for (double r : rewards) {
      if (!Double.isFinite(r)) throw new IllegalArgumentException("reward is not finite: " + r);
      max = Math.max(max, r);
    }
    double s = 0;
    for (double r : rewards) s += Math.exp((r - max) / beta1);
    return max + beta1 * Math.log(s / rewards.length);
  }

  /** {@link #optimalValue(double[], double)} of each row of {@code rewards [P, N]}: {@code [P]}. */
  public static Tensor optimalValue(Tensor rewards, double beta1) {
    Shapes.requireDim("rewards", rewards, 2);
    long n = rewards.size(1);
    Tensor lse = div(rewards.detach(), beta1).logsumexp(new long[] {1}, false);
    return mul(sub(lse, Math.log(n)), beta1);
  }

  /**
   * Stage 2's loss of one batch.
   *
   * @param loss L = (1/B)·Σ_i ℓ_i, 0-d, differentiable w.r.t. {@code logProbs}
   * @param residual res_i = β2·logRatio_i − (r_i − V̂*_i), {@code [B]}, detached
   * @param logRatio Σ_t m·(log π_θ − log π_ref) per row, {@code [B]}, detached
   */
  public record Result(Tensor loss, Tensor residual, Tensor logRatio) {}

  /**
   * @param logProbs log π_θ(y_t|s_t) {@code [B, T]} with gradient
   * @param refLogProbs log π_ref(y_t|s_t) {@code [B, T]} (detached here)
   * @param mask completion mask {@code [B, T]}
   * @param rewards r_i {@code [B]}
   * @param optimalValues V̂*(x_i) of each row's prompt {@code [B]}
   */
  public Result loss(
      Tensor logProbs, Tensor refLogProbs, Tensor mask, Tensor rewards, Tensor optimalValues) {
    Shapes.requireDim("logProbs", logProbs, 2);
    Shapes.requireSameShape("refLogProbs", refLogProbs, "logProbs", logProbs);
    Shapes.requireSameShape("mask", mask, "logProbs", logProbs);
    Shapes.requireDim("rewards", rewards, 1);
    Shapes.requireDim("optimalValues", optimalValues, 1);
    long b = logProbs.size(0);
    if (rewards.size(0) != b || optimalValues.size(0) != b) {
      throw new IllegalArgumentException(
          "rewards and optimalValues need one entry per row ("
              + b
              + "), got "
              + rewards.size(0)
              + " and "
              + optimalValues.size(0));
    }
    Tensor logRatio =
        Masked.rowSum(logProbs.sub(refLogProbs.detach().to(logProbs.scalar_type())), mask); // [B]
    Tensor advantage =
        rewards
            .detach()
            .to(logProbs.scalar_type())
            .sub(optimalValues.detach().to(logProbs.scalar_type()));
    Tensor residual = mul(logRatio, beta2).sub(advantage);
    Tensor loss = residual.square().mean();
    return new Result(loss, residual.detach(), logRatio.detach());
  }
}
