package io.grpo4j.rl;

import static io.grpo4j.torch.Ops.add;
import static io.grpo4j.torch.Ops.clamp;
import static io.grpo4j.torch.Ops.clampMin;
import static io.grpo4j.torch.Ops.gt;
import static io.grpo4j.torch.Ops.mul;
import static io.grpo4j.torch.Ops.sub;
import static io.grpo4j.torch.Ops.sum;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Token-level credit from the group itself: per-prefix baselines, the normalised process reward,
 * entropy weighting, and the metrics that show where credit went. Pure functions on {@code [B, T]}
 * tensors, B = P·G rows, group g = rows {@code g·G … g·G+G−1}, m the completion mask, R_i = Σ_t
 * m_{i,t}·r_{i,t} the sequence reward.
 *
 * <p><b>Per-prefix value.</b> Row j <em>shares</em> row i's prefix s_t (its first t tokens) when
 * their first t tokens are equal ({@code S_{ij}(t) = Π_{t'<t} [y_{i,t'} = y_{j,t'}]}, so S(0) = 1
 * for the whole group). The Monte-Carlo value of a prefix is the mean outcome of the group's
 * completions through it, and the credit of token a_t is how much it moved that value:
 *
 * <pre>
 * V̂_i(t) = Σ_{j∈g} S_{ij}(t)·R_j / Σ_{j∈g} S_{ij}(t),      δ_{i,t} = V̂_i(t+1) − V̂_i(t)
 * </pre>
 *
 * V̂_i(0) = mean_g R and V̂_i(len_i) = R_i (a completion ends with its stop token or at the length
 * limit, so only identical completions share the whole of one, and they score the same), so Σ_t
 * δ_{i,t} = R_i − mean_g R: the sequence advantage, but placed on the tokens where the group's
 * completions parted ways — a token all G samples agree on gets δ = 0, the operator that split
 * winners from losers gets all of it.
 */
public final class TokenCredit {
  private TokenCredit() {}

  /**
   * δ_{i,t} = V̂_i(t+1) − V̂_i(t), 0 on padding (not divided by any standard deviation).
   *
   * @param ids completion token ids {@code [B, T]} (any integer dtype; padding ignored)
   * @param mask completion mask {@code [B, T]}
   * @param sequenceRewards R {@code [B]}
   * @param groupSize G ≥ 1, B a multiple of G
   */
  public static Tensor prefixDeltas(
      Tensor ids, Tensor mask, Tensor sequenceRewards, int groupSize) {
    Shapes.requireDim("ids", ids, 2);
    Shapes.requireDim("sequenceRewards", sequenceRewards, 1);
    long b = ids.size(0), t = ids.size(1);
    requireGroups(b, groupSize);
    Shapes.requireSameShape("mask", mask, "ids", ids);
    if (sequenceRewards.size(0) != b) {
      throw new IllegalArgumentException(
          "sequenceRewards has " + sequenceRewards.size(0) + " rows, ids " + b);
    }
    long p = b / groupSize;
    Tensor R0 = sequenceRewards.detach();
    Tensor m = Shapes.maskLike(mask, R0);
    Tensor valid = gt(m, 0.5).reshape(p, groupSize, 1, t);
    Tensor y = ids.reshape(p, groupSize, 1, t);
    // same[g, i, j, t]: rows i and j both have a token at t and it is the same token
    Tensor same =
        y.eq(y.transpose(1, 2))
            .logical_and(valid)
            .logical_and(valid.transpose(1, 2))
            .to(R0.scalar_type());
    Tensor through = same.cumprod(3); // S_ij(t+1): the first t+1 tokens are equal
    Tensor before = torch.ones_like(through.narrow(3, 0, 1)); // S_ij(0) = 1
    Tensor upTo = torch.cat(new TensorVector(before, through.narrow(3, 0, t - 1)), 3); // S_ij(t)
    Tensor R = R0.reshape(p, 1, groupSize, 1);
    Tensor vNext = value(through, R); // V̂_i(t+1), [P, G, T]
    Tensor vHere = value(upTo, R); // V̂_i(t)
    return vNext.sub(vHere).reshape(b, t).mul(m);
  }

  /** Σ_j S_ij·R_j / Σ_j S_ij over j (dim 2); rows whose S is all zero (padding) get 0. */
  private static Tensor value(Tensor shared, Tensor R) {
    Tensor n = sum(shared, false, 2);
    Tensor s = sum(shared.mul(R), false, 2);
    return s.div(clampMin(n, 1.0));
  }

  /**
   * The process-reward term of the hybrid mode: token rewards standardised within the group and
   * clipped, {@code clip((r_{i,t} − r̄_g) / (s_g + ε), −c, c)}, with r̄_g and s_g the mean and
   * sample standard deviation over all valid tokens of the group's G completions; 0 on padding.
   */
  public static Tensor normalisedProcessReward(
      Tensor rewards, Tensor mask, int groupSize, double clip, double epsilon) {
    Shapes.requireDim("rewards", rewards, 2);
    Shapes.requireSameShape("mask", mask, "rewards", rewards);
    long b = rewards.size(0), t = rewards.size(1);
    requireGroups(b, groupSize);
    long p = b / groupSize;
    Tensor r = rewards.detach();
    Tensor m = Shapes.maskLike(mask, r);
    Tensor r3 = r.mul(m).reshape(p, groupSize * t);
    Tensor m3 = m.reshape(p, groupSize * t);
    Tensor n = sum(m3, true, 1);
    Tensor mean = sum(r3, true, 1).div(clampMin(n, 1.0));
    Tensor dev = r3.sub(mean).mul(m3);
    Tensor std = sum(dev.mul(dev), true, 1).div(clampMin(sub(n, 1.0), 1.0)).sqrt();
    Tensor z = dev.div(add(std, epsilon));
    if (!Double.isInfinite(clip)) z = clamp(z, -clip, clip);
    return z.reshape(b, t).mul(m);
  }

  /**
   * Entropy weights w_{i,t} = 1 − κ + κ·H_{i,t} / H̄, H̄ the mean entropy over valid tokens: with κ
   * = 1 the advantage of a token is scaled by its share of the sampling entropy (GTPO's entropy
   * weighting; the "forking tokens" of Wang et al. 2025 carry the high-entropy decisions), with κ =
   * 0 all weights are 1. The weights average to 1 over valid tokens, so the overall step size
   * stays; 0 on padding.
   */
  public static Tensor entropyWeights(Tensor entropy, Tensor mask, double kappa) {
    Shapes.requireDim("entropy", entropy, 2);
    Shapes.requireSameShape("mask", mask, "entropy", entropy);
    if (!(kappa >= 0 && kappa <= 1)) {
      throw new IllegalArgumentException(
          "rl.advantage.entropy_weight must be in [0, 1], got " + kappa);
    }
    Tensor h = entropy.detach();
    Tensor m = Shapes.maskLike(mask, h);
    double mean = Masked.mean(h, m).item_double();
    if (!(mean > 0)) return m.clone(); // no entropy anywhere: nothing to weight by
    return add(mul(h, kappa / mean), 1 - kappa).mul(m);
  }

  /**
   * Share of the credit on uncertain tokens: Σ |A_{i,t}| over valid tokens with H_{i,t} &gt; τ,
   * divided by Σ |A_{i,t}| over all valid tokens (0 when all advantages are 0).
   */
  public static double highEntropyShare(
      Tensor advantages, Tensor entropy, Tensor mask, double threshold) {
    Shapes.requireSameShape("entropy", entropy, "advantages", advantages);
    Shapes.requireSameShape("mask", mask, "advantages", advantages);
    Tensor a = advantages.detach().abs();
    Tensor m = Shapes.maskLike(mask, a);
    double all = Masked.sum(a, m).item_double();
    if (!(all > 0)) return 0;
    Tensor high = Shapes.maskLike(gt(entropy.detach(), threshold), a).mul(m);
    return Masked.sum(a, high).item_double() / all;
  }

  /**
   * Fractions of groups whose G completions all succeeded and all failed ({@code success} a 0/1
   * vector of B entries): the two kinds of identical-outcome groups, which teach nothing through
   * the outcome and differ in what they mean (mastered vs out of reach).
   */
  public static double[] allSuccessAllFail(boolean[] success, int groupSize) {
    requireGroups(success.length, groupSize);
    int groups = success.length / groupSize;
    int allOk = 0, allFail = 0;
    for (int g = 0; g < groups; g++) {
      int k = 0;
      for (int i = 0; i < groupSize; i++) if (success[g * groupSize + i]) k++;
      if (k == groupSize) allOk++;
      if (k == 0) allFail++;
    }
    return new double[] {allOk / (double) groups, allFail / (double) groups};
  }

  private static void requireGroups(long b, int groupSize) {
    if (groupSize < 1 || b == 0 || b % groupSize != 0) {
      throw new IllegalArgumentException(
          "batch of " + b + " rows is not a whole number of groups of rl.group_size=" + groupSize);
    }
  }
}
