package io.grpo4j.rl;

import static io.grpo4j.torch.Ops.add;
import static io.grpo4j.torch.Ops.clamp;
import static io.grpo4j.torch.Ops.clampMin;
import static io.grpo4j.torch.Ops.gt;
import static io.grpo4j.torch.Ops.mul;
import static io.grpo4j.torch.Ops.sub;
import static io.grpo4j.torch.Ops.sum;

import io.grpo4j.torch.Ops;
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

  /**
   * Values of the interior nodes of prefix trees ({@code sampling.tree}). A group's G = w_1·…·w_d
   * leaves are its rows in lexicographic order of their branch choices (c_1, …, c_d), so the node
   * at depth k above leaf i holds the n_k = w_{k+1}·…·w_d consecutive rows ⌊i/n_k⌋·n_k … +n_k−1.
   * Its value is the mean outcome of the leaves under it:
   *
   * <pre>V_{i,k} = (1/n_k) Σ_{j: ⌊j/n_k⌋ = ⌊i/n_k⌋} R_j,      k = 1 … d−1</pre>
   *
   * (V at depth 0 is the group mean, at depth d the leaf's own R_i). A leaf that finished before
   * its tree branched again fills all n_k rows of its node with copies of itself, so its node's
   * value is its own R.
   *
   * @param sequenceRewards R {@code [B]}, B a multiple of G
   * @param widths w_1 … w_d, each ≥ 1, G = their product
   * @return {@code [B, d−1]}, column k−1 holding V_{i,k}
   */
  public static Tensor treeValues(Tensor sequenceRewards, int[] widths) {
    Shapes.requireDim("sequenceRewards", sequenceRewards, 1);
    int g = leaves(widths);
    long b = sequenceRewards.size(0);
    requireGroups(b, g);
    Tensor r = sequenceRewards.detach();
    int d = widths.length;
    if (d == 1) return torch.zeros(new long[] {b, 0}, r.options());
    TensorVector cols = new TensorVector();
    long n = g;
    for (int k = 1; k < d; k++) {
      n /= widths[k - 1]; // leaves under one node at depth k
      Tensor nodeMean = Ops.mean(r.reshape(b / n, n), true, 1); // [B/n, 1]
      cols.push_back(nodeMean.expand(new long[] {b / n, n}).reshape(b, 1));
    }
    return torch.cat(cols, 1);
  }

  /** G = w_1·…·w_d, checking every width is ≥ 1. */
  public static int leaves(int[] widths) {
    if (widths == null || widths.length == 0) {
      throw new IllegalArgumentException("sampling.tree.widths must list at least one width");
    }
    long g = 1;
    for (int w : widths) {
      if (w < 1) {
        throw new IllegalArgumentException(
            "sampling.tree.widths must all be >= 1, got " + java.util.Arrays.toString(widths));
      }
      g *= w;
      if (g > Integer.MAX_VALUE) throw new IllegalArgumentException("tree has too many leaves");
    }
    return (int) g;
  }

  /**
   * Credit from values at segment boundaries. Row i's completion is cut at S boundaries 0 ≤ b_{i,1}
   * ≤ … ≤ b_{i,S} ≤ len_i into segments [b_{i,j}, b_{i,j+1}) (b_{i,0} = 0, b_{i,S+1} = len_i), with
   * a value known at each boundary: V_{i,0} = {@code baseline} (the value of the prompt), V_{i,j} =
   * {@code values[i, j−1]} (the state after the first b_{i,j} tokens), V_{i,S+1} = R_i. Every token
   * of segment j gets how much its segment moved the value:
   *
   * <pre>δ_{i,t} = V_{i,j+1} − V_{i,j}   for b_{i,j} ≤ t &lt; b_{i,j+1}</pre>
   *
   * so the credits of a row's segments, one value each, add up to Σ_j (V_{i,j+1} − V_{i,j}) = R_i −
   * V_{i,0} when every empty segment leaves the value unchanged: a row with fewer real boundaries
   * puts its spare ones at len_i with value R_i (a tree's segments below the root hold at least one
   * token each, so only such spare cuts are empty).
   *
   * @param starts b {@code [B, S]}, any integer dtype, S ≥ 0
   * @param values V at the boundaries {@code [B, S]}
   * @param sequenceRewards R {@code [B]}
   * @param baseline V_{i,0} {@code [B]}
   * @param mask completion mask {@code [B, T]}; δ is 0 on padding
   */
  public static Tensor segmentDeltas(
      Tensor starts, Tensor values, Tensor sequenceRewards, Tensor baseline, Tensor mask) {
    Shapes.requireDim("starts", starts, 2);
    Shapes.requireSameShape("values", values, "starts", starts);
    Shapes.requireDim("mask", mask, 2);
    long b = mask.size(0), t = mask.size(1);
    if (starts.size(0) != b || sequenceRewards.size(0) != b || baseline.size(0) != b) {
      throw new IllegalArgumentException(
          "starts, values, sequenceRewards and baseline need one row per completion ("
              + b
              + "), got "
              + Shapes.of(starts)
              + ", "
              + Shapes.of(sequenceRewards)
              + ", "
              + Shapes.of(baseline));
    }
    Tensor r = sequenceRewards.detach();
    Tensor m = Shapes.maskLike(mask, r);
    Tensor v =
        torch.cat(
            new TensorVector(
                baseline.detach().to(r.scalar_type()).reshape(b, 1),
                values.detach().to(r.scalar_type()),
                r.reshape(b, 1)),
            1); // [B, S+2]
    Tensor seg; // seg[i, t] = #{j : b_{i,j} ≤ t}, the segment token t lies in
    if (starts.size(1) == 0) {
      seg = torch.zeros(new long[] {b, t}, starts.options()).to(torch.ScalarType.Long);
    } else {
      Tensor pos =
          torch
              .arange(new org.bytedeco.pytorch.Scalar(t), starts.options())
              .reshape(1, t, 1)
              .to(torch.ScalarType.Long);
      Tensor s = starts.to(torch.ScalarType.Long).unsqueeze(1); // [B, 1, S]
      seg =
          s.le(pos)
              .sum(
                  new long[] {2},
                  false,
                  new org.bytedeco.pytorch.ScalarTypeOptional(torch.ScalarType.Long));
    }
    Tensor vHere = torch.gather(v, 1, seg);
    Tensor vNext = torch.gather(v, 1, seg.add(new org.bytedeco.pytorch.Scalar(1)));
    return vNext.sub(vHere).mul(m);
  }

  /**
   * The top-q entropy mask ({@code rl.token_mask.top_entropy}, the "forking tokens" of Wang et al.
   * 2025): 1 on the ⌈q·n⌉ valid tokens of highest sampling entropy in the batch (n valid tokens;
   * ties at the threshold all kept), 0 elsewhere and on padding.
   *
   * @param q share of tokens kept, in (0, 1]
   */
  public static Tensor topEntropyMask(Tensor entropy, Tensor mask, double q) {
    Shapes.requireDim("entropy", entropy, 2);
    Shapes.requireSameShape("mask", mask, "entropy", entropy);
    if (!(q > 0 && q <= 1)) {
      throw new IllegalArgumentException("rl.token_mask.top_entropy must be in (0, 1], got " + q);
    }
    Tensor h = entropy.detach();
    Tensor m = Shapes.maskLike(mask, h);
    Tensor valid = gt(m, 0.5);
    long n = valid.sum().item_long();
    if (n == 0) return m.mul(new org.bytedeco.pytorch.Scalar(0));
    long k = Math.max(1, (long) Math.ceil(q * n - 1e-9));
    Tensor vals = h.masked_select(valid);
    double threshold = vals.topk(k).get0().min().item_double();
    return Shapes.maskLike(h.ge(new org.bytedeco.pytorch.Scalar(threshold)), h).mul(m);
  }

  /**
   * Where credit is non-zero: {share of valid tokens with |A| &gt; {@link #NONZERO}, share of
   * groups with at least one such token}. The tolerance keeps float rounding (the mean of G equal
   * rewards in float32, divided by the ε of a zero std) from counting as credit.
   */
  public static double[] nonZeroShares(Tensor advantages, Tensor mask, int groupSize) {
    Shapes.requireDim("advantages", advantages, 2);
    Shapes.requireSameShape("mask", mask, "advantages", advantages);
    long b = advantages.size(0), t = advantages.size(1);
    requireGroups(b, groupSize);
    Tensor a = advantages.detach();
    Tensor m = Shapes.maskLike(mask, a);
    Tensor nz = Shapes.maskLike(gt(a.abs(), NONZERO), a).mul(m);
    double tokens = Masked.mean(nz, m).item_double();
    Tensor perGroup = Ops.sum(nz.reshape(b / groupSize, groupSize * t), false, 1);
    double groups = gt(perGroup, 0.0).to(torch.ScalarType.Double).mean().item_double();
    return new double[] {tokens, groups};
  }

  /** |A| above this counts as credit in {@link #nonZeroShares}. */
  public static final double NONZERO = 1e-3;

  private static void requireGroups(long b, int groupSize) {
    if (groupSize < 1 || b == 0 || b % groupSize != 0) {
      throw new IllegalArgumentException(
          "batch of " + b + " rows is not a whole number of groups of rl.group_size=" + groupSize);
    }
  }
}
