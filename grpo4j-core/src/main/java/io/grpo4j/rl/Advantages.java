package io.grpo4j.rl;

import static io.grpo4j.torch.Ops.add;
import static io.grpo4j.torch.Ops.clamp;
import static io.grpo4j.torch.Ops.clampMin;
import static io.grpo4j.torch.Ops.gt;
import static io.grpo4j.torch.Ops.lt;
import static io.grpo4j.torch.Ops.mean;
import static io.grpo4j.torch.Ops.mul;
import static io.grpo4j.torch.Ops.sub;
import static io.grpo4j.torch.Ops.sum;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Critic-free advantages: every completion is judged against the other G − 1 completions of its
 * prompt, so no value network is needed. Rewards {@code r [B, T]} with {@code B = P·G}; group g
 * holds rows {@code g·G … g·G+G−1}; m is the completion mask; n_g = Σ_{i∈g,t} m_{i,t}.
 *
 * <p><b>{@link AdvantageMode#TOKEN_RELATIVE}</b> (the seed's δ_t). The baseline is one number per
 * group: the mean token reward over <em>all valid tokens of all G completions</em> of the prompt
 * ("subtract the group mean baseline per prompt batch"):
 *
 * <pre>r̄_g = Σ_{i∈g} Σ_t m_{i,t}·r_{i,t} / n_g,      δ_{i,t} = clip(r_{i,t} − r̄_g, −c, c)</pre>
 *
 * Tokens that earned more than the group's typical token are pushed up, the others down. Not
 * divided by a standard deviation ({@code scaleRewards} does not apply).
 *
 * <p><b>{@link AdvantageMode#SEQUENCE}</b> (standard GRPO, DeepSeekMath). With R_i = Σ_t
 * m_{i,t}·r_{i,t}:
 *
 * <pre>A_i = (R_i − mean_g R) / (std_g R + ε)   if scaleRewards,   else  A_i = R_i − mean_g R</pre>
 *
 * std_g is the <em>sample</em> standard deviation over the G completions (Bessel's G − 1, as {@code
 * torch.std} in TRL's GRPOTrainer). A_i is broadcast to every valid token of row i and is
 * <em>not</em> clipped: the clip c bounds per-token signals, while standard GRPO's z-scores are
 * already bounded by √(G−1) and clipping them would break the group's zero sum.
 *
 * <p><b>{@link AdvantageMode#RETURN_TO_GO}</b>. The undiscounted return from step t, G_{i,t} =
 * Σ_{t'≥t} m_{i,t'}·r_{i,t'}, against a per-position group baseline: the mean of G_{·,t} over the
 * group's rows that have a token at position t (N_{g,t} = Σ_{i∈g} m_{i,t} rows):
 *
 * <pre>
 * b_{g,t} = Σ_{i∈g} m_{i,t}·G_{i,t} / N_{g,t},    A_{i,t} = clip((G_{i,t} − b_{g,t}) [/ (s_{g,t} + ε)], −c, c)
 * </pre>
 *
 * with s_{g,t} the sample standard deviation of those N_{g,t} returns when {@code scaleRewards} (0
 * when N_{g,t} = 1). A position that only one row of its group reaches gets advantage 0.
 *
 * <p><b>{@link AdvantageMode#PREFIX}</b> (per-prefix baselines, "a local baseline constructed from
 * tokens that share a similar prefix"). V̂_i(t) is the mean outcome R of the group's completions
 * whose first t tokens equal row i's, δ_{i,t} = V̂_i(t+1) − V̂_i(t) ({@link
 * TokenCredit#prefixDeltas}); with σ_g the group's sample std of R (1 when not {@code
 * scaleRewards}) and μ = {@code sequenceWeight}:
 *
 * <pre>A_{i,t} = δ_{i,t} / (σ_g + ε) + μ·A_i</pre>
 *
 * with A_i the SEQUENCE advantage. Σ_t δ_{i,t} = R_i − mean_g R, so with μ = 0 a completion gets
 * the same total credit as in SEQUENCE, but on the tokens where the group's samples parted ways
 * (tokens all samples agree on get 0). Not clipped, like SEQUENCE.
 *
 * <p><b>{@link AdvantageMode#HYBRID}</b>. The sequence advantage plus w = {@code processWeight}
 * times the token reward standardised within the group ({@link
 * TokenCredit#normalisedProcessReward}: mean r̄_g and sample std s_g over the group's valid
 * tokens):
 *
 * <pre>A_{i,t} = A_i + w·clip((r_{i,t} − r̄_g) / (s_g + ε), −c, c)</pre>
 *
 * so the outcome still reaches every token while the verifier's dense verdicts (a dead end at the
 * token that made it one, a wrong digit) add local credit.
 *
 * <p><b>{@link AdvantageMode#TREE}</b> and <b>{@link AdvantageMode#MC_PREFIX}</b> (credit from
 * values of shared prefixes, {@link Segments}). Row i's completion is cut into segments at
 * boundaries b_{i,1} ≤ … ≤ b_{i,S}; V_{i,0} = mean_g R (the prompt's value), V_{i,S+1} = R_i, and
 * in between V_{i,j} is the value of the state after the first b_{i,j} tokens — in TREE the mean
 * reward of the leaves under the tree node there ({@link TokenCredit#treeValues}; the rollouts
 * branched at those boundaries), in MC_PREFIX the mean reward of K fresh continuations from that
 * state (VinePPO). With δ_{i,t} = V_{i,j+1} − V_{i,j} on the tokens of segment j ({@link
 * TokenCredit#segmentDeltas}), σ_g the group's sample std of R (1 when not {@code scaleRewards})
 * and μ = {@code sequenceWeight}:
 *
 * <pre>A_{i,t} = δ_{i,t} / (σ_g + ε) + μ·A_i</pre>
 *
 * The segments' credits along a completion, one value each, add up to (R_i − mean_g R)/(σ_g + ε),
 * its sequence advantage: a tree of one level, widths [G], is SEQUENCE exactly, and deeper trees
 * move each completion's credit onto the segment whose choice changed the value. Not clipped, like
 * SEQUENCE and PREFIX: the credits are differences of group means, bounded as the z-scores are, and
 * a clip at c = 1 would cut the one success of an all-but-one-fail group (z ≈ 2.5 for G = 8) to
 * less than half exactly where rewards are sparse (docs/experiments.md measures the clipped tree).
 *
 * <p><b>Validator fallback</b> (all modes, w_f = {@code fallbackWeight} &gt; 0): in a group whose G
 * completions all succeed or all fail, where the outcome says nothing about which answer was
 * better, each token also gets the verifier's own credit for it, r_{i,t} (a dead-end move is
 * negative at the token that made it one, a valid step positive):
 *
 * <pre>A_{i,t} ← A_{i,t} + clip(w_f·r_{i,t}, −c, c)     (groups with Σ_{i∈g} success_i ∈ {0, G})
 * </pre>
 *
 * Groups with both outcomes are left as the mode made them.
 *
 * <p><b>Standard-deviation floor</b> (SEQUENCE, PREFIX, HYBRID, TREE, MC_PREFIX with {@code
 * scaleRewards}): σ_g is replaced by max(σ_g, f), f = {@code stdFloor}. In a group whose G answers
 * all fail, rewards such as −0.1 and −0.2 differ by noise-level amounts, and dividing by their
 * small std turns them into ±2.5 z-scores that reinforce one failure over another; with f = 0.25 (a
 * quarter of a success) such groups keep advantages within ±0.4, while a group with even one
 * success among failures that score at most 0 spreads at least 0.35 (G = 8) and is unchanged.
 *
 * <p><b>Entropy weighting</b> (all modes, κ = {@code entropyWeight} &gt; 0): A_{i,t} ← A_{i,t} · (1
 * − κ + κ·H_{i,t}/H̄) ({@link TokenCredit#entropyWeights}), so near-deterministic tokens stop
 * spending the update and the KL budget, and the uncertain "forking" tokens get more.
 *
 * <p>All modes: advantages are 0 on padding and carry no gradient.
 *
 * <p>This record is also the run config's {@code rl.advantage} section: each setting is the key
 * named with it, bound from YAML by {@code ConfigLoader} and checked once, here; its default, and
 * why, is the constant named after it.
 *
 * @param mode which formula ({@code rl.advantage.mode}, {@link #MODE})
 * @param clip c of the token modes ({@code rl.advantage.clip}, {@link #CLIP}); {@code
 *     Double.POSITIVE_INFINITY} disables clipping
 * @param scaleRewards divide by the group standard deviation in SEQUENCE and RETURN_TO_GO modes
 *     ({@code rl.advantage.scale_rewards}, {@link #SCALE_REWARDS})
 * @param epsilon ε added to the standard deviation, so equal-reward groups give 0 ({@code
 *     rl.advantage.epsilon}, {@link #EPSILON})
 * @param sequenceWeight μ of PREFIX, TREE and MC_PREFIX modes, ≥ 0 ({@code
 *     rl.advantage.sequence_weight}, {@link #SEQUENCE_WEIGHT})
 * @param processWeight w of HYBRID mode, ≥ 0 ({@code rl.advantage.process_weight}, {@link
 *     #PROCESS_WEIGHT})
 * @param stdFloor f: the group std is at least this when scaling, ≥ 0, 0 = off ({@code
 *     rl.advantage.std_floor}, {@link #STD_FLOOR})
 * @param entropyWeight κ in [0, 1], 0 = off ({@code rl.advantage.entropy_weight}, {@link
 *     #ENTROPY_WEIGHT})
 * @param fallbackWeight w_f ≥ 0 of the validator fallback, 0 = off ({@code
 *     rl.advantage.fallback_weight}, {@link #FALLBACK_WEIGHT})
 */
public record Advantages(
    AdvantageMode mode,
    double clip,
    boolean scaleRewards,
    double epsilon,
    double sequenceWeight,
    double processWeight,
    double stdFloor,
    double entropyWeight,
    double fallbackWeight) {

  /**
   * Default {@code rl.advantage.mode}: the best of the first three modes on the tiny recipe, same
   * seed and budget (README "Status").
   */
  public static final AdvantageMode MODE = AdvantageMode.SEQUENCE;

  /** Default {@code rl.advantage.clip}: the seed's δ clip. */
  public static final double CLIP = 1.0;

  /** Default {@code rl.advantage.scale_rewards}: standard GRPO's z-score (Dr.GRPO turns it off). */
  public static final boolean SCALE_REWARDS = true;

  /** Default {@code rl.advantage.epsilon}: as TRL. */
  public static final double EPSILON = 1e-4;

  /**
   * Default {@code rl.advantage.sequence_weight}: prefix (tree, Monte-Carlo) credit only; its
   * segments already add up to the sequence advantage.
   */
  public static final double SEQUENCE_WEIGHT = 0.0;

  /**
   * Default {@code rl.advantage.process_weight}: a dead-end token's process term, about −1, then
   * weighs half of a typical sequence z-score.
   */
  public static final double PROCESS_WEIGHT = 0.5;

  /**
   * Default {@code rl.advantage.std_floor}: off; 0.25 keeps the tiny differences between failures
   * in an all-fail group from becoming ±2.5 z-scores (the class doc's standard-deviation floor).
   */
  public static final double STD_FLOOR = 0.0;

  /** Default {@code rl.advantage.entropy_weight}: off. */
  public static final double ENTROPY_WEIGHT = 0.0;

  /**
   * Default {@code rl.advantage.fallback_weight}: off, so every mode is its formula alone unless an
   * experiment asks for the verifier's credit. With Countdown's rewards 5 turns a dead-end step's
   * −0.2 into −1 (the clip) and a valid step's +0.1 into +0.5.
   */
  public static final double FALLBACK_WEIGHT = 0.0;

  /** The defaults above, the run config's {@code rl.advantage} section unless it is set. */
  public static final Advantages DEFAULTS =
      new Advantages(
          MODE,
          CLIP,
          SCALE_REWARDS,
          EPSILON,
          SEQUENCE_WEIGHT,
          PROCESS_WEIGHT,
          STD_FLOOR,
          ENTROPY_WEIGHT,
          FALLBACK_WEIGHT);

  /** Groups whose sequence rewards spread less than this standard deviation count as "zero std". */
  public static final double ZERO_STD_TOLERANCE = 1e-6;

  public Advantages {
    if (mode == null) throw new IllegalArgumentException("rl.advantage.mode must be set");
    if (!(clip > 0))
      throw new IllegalArgumentException("rl.advantage.clip must be > 0, got " + clip);
    if (!(epsilon > 0)) {
      throw new IllegalArgumentException("rl.advantage.epsilon must be > 0, got " + epsilon);
    }
    if (Double.isInfinite(epsilon)) {
      throw new IllegalArgumentException("rl.advantage.epsilon must be finite, got " + epsilon);
    }
    requireWeight("rl.advantage.sequence_weight", sequenceWeight);
    requireWeight("rl.advantage.process_weight", processWeight);
    requireWeight("rl.advantage.std_floor", stdFloor);
    requireWeight("rl.advantage.fallback_weight", fallbackWeight);
    if (!(entropyWeight >= 0 && entropyWeight <= 1)) {
      throw new IllegalArgumentException(
          "rl.advantage.entropy_weight must be in [0, 1], got " + entropyWeight);
    }
  }

  private static void requireWeight(String key, double v) {
    if (!(v >= 0) || Double.isInfinite(v)) {
      throw new IllegalArgumentException(key + " must be finite and >= 0, got " + v);
    }
  }

  /**
   * Advantages of one batch and the statistics the metrics report.
   *
   * @param advantages {@code [B, T]}, zero on padding, no gradient
   * @param tokenMean {@code adv/token_mean}: mean advantage over valid tokens
   * @param tokenAbsMean {@code adv/token_abs_mean}: mean |advantage| over valid tokens
   */
  public record Result(Tensor advantages, double tokenMean, double tokenAbsMean) {
    /** The result for advantages {@code a [B, T]}, its statistics over the valid tokens. */
    public static Result of(Tensor a, Tensor mask) {
      Tensor m = Shapes.maskLike(mask, a);
      return new Result(a, Masked.mean(a, m).item_double(), Masked.mean(a.abs(), m).item_double());
    }
  }

  /**
   * @param rewards token rewards r {@code [B, T]} (e.g. from {@link EntropyReward}); padding
   *     ignored
   * @param mask completion mask {@code [B, T]}
   * @param ids completion token ids {@code [B, T]}; needed by PREFIX mode, else may be null
   * @param entropy sampling entropy {@code [B, T]}; needed when entropyWeight &gt; 0, else may be
   *     null
   * @param groupSize G ≥ 2; B must be a multiple of G
   */
  public Result compute(Tensor rewards, Tensor mask, Tensor ids, Tensor entropy, int groupSize) {
    return compute(rewards, mask, ids, entropy, groupSize, null, null);
  }

  /**
   * As {@link #compute(Tensor, Tensor, Tensor, Tensor, int)}, with what the segment modes and the
   * fallback need.
   *
   * @param segments where completions are cut and the values there; needed by TREE and MC_PREFIX,
   *     else may be null
   * @param success {@code [B]} 1 where the completion solved its problem, else 0; needed when
   *     fallbackWeight &gt; 0, else may be null
   */
  public Result compute(
      Tensor rewards,
      Tensor mask,
      Tensor ids,
      Tensor entropy,
      int groupSize,
      Segments segments,
      Tensor success) {
    Shapes.requireDim("rewards", rewards, 2);
    Shapes.requireSameShape("mask", mask, "rewards", rewards);
    long b = rewards.size(0), t = rewards.size(1);
    if (groupSize < 2) {
      throw new IllegalArgumentException(
          "group-relative advantages need rl.group_size >= 2, got " + groupSize);
    }
    if (b % groupSize != 0) {
      throw new IllegalArgumentException(
          "batch of " + b + " rows is not a whole number of groups of rl.group_size=" + groupSize);
    }
    long p = b / groupSize;
    Tensor r = rewards.detach();
    Tensor m = Shapes.maskLike(mask, r);
    Tensor r3 = r.mul(m).reshape(p, groupSize, t);
    Tensor m3 = m.reshape(p, groupSize, t);

    Tensor a3 =
        switch (mode) {
          case TOKEN_RELATIVE -> tokenRelative(r3, m3);
          case SEQUENCE -> sequence(r3, m3);
          case RETURN_TO_GO -> returnToGo(r3, m3);
          case PREFIX -> prefix(r3, m3, ids, mask, groupSize);
          case HYBRID ->
              sequence(r3, m3)
                  .add(
                      mul(
                          TokenCredit.normalisedProcessReward(r, mask, groupSize, clip, epsilon)
                              .reshape(p, groupSize, t),
                          processWeight));
          case TREE, MC_PREFIX -> segmentCredit(r3, m3, mask, segments);
        };
    if (fallbackWeight > 0) a3 = a3.add(fallback(r3, m3, success, groupSize));
    Tensor a = a3.reshape(b, t);
    if (entropyWeight > 0) {
      if (entropy == null) {
        throw new IllegalArgumentException("rl.advantage.entropy_weight > 0 needs the entropies");
      }
      a = a.mul(Shapes.maskLike(TokenCredit.entropyWeights(entropy, mask, entropyWeight), a));
    }
    return Result.of(a, m);
  }

  /**
   * Fraction of groups whose G values {@code sequenceRewards [B]} have standard deviation below
   * {@link #ZERO_STD_TOLERANCE}, i.e. groups that give standard GRPO nothing to learn from (the
   * trainer's {@code frac_zero_std_groups}, on the verifier rewards).
   */
  public static double fracZeroStdGroups(Tensor sequenceRewards, int groupSize) {
    Shapes.requireDim("sequenceRewards", sequenceRewards, 1);
    long b = sequenceRewards.size(0);
    if (groupSize < 1 || b % groupSize != 0 || b == 0) {
      throw new IllegalArgumentException(
          "sequenceRewards of "
              + b
              + " rows is not a whole number of groups of rl.group_size="
              + groupSize);
    }
    Tensor byGroup = sequenceRewards.detach().reshape(b / groupSize, groupSize);
    Tensor std = byGroup.std(new long[] {1}, false, false);
    return lt(std, ZERO_STD_TOLERANCE).to(ScalarType.Double).mean().item_double();
  }

  /** δ = clip(r − r̄_g, −c, c) on valid tokens; r̄_g over all valid tokens of the group. */
  private Tensor tokenRelative(Tensor r3, Tensor m3) {
    Tensor n = clampMin(sum(m3, true, 1, 2), 1.0);
    Tensor rBar = sum(r3, true, 1, 2).div(n); // [P, 1, 1]
    Tensor delta = r3.sub(rBar).mul(m3);
    return clipped(delta);
  }

  /** A_i = (R_i − mean R) / (std R + ε) broadcast to the tokens of row i; never clipped. */
  private Tensor sequence(Tensor r3, Tensor m3) {
    Tensor R = sum(r3, false, 2); // [P, G]
    Tensor meanR = mean(R, true, 1);
    Tensor A = R.sub(meanR);
    if (scaleRewards) A = A.div(scale(R));
    return A.unsqueeze(2).mul(m3);
  }

  /** max(σ_g, f) + ε per group, [P, 1]; σ_g the sample std (G − 1) of the G rewards. */
  private Tensor scale(Tensor R) {
    Tensor stdR = R.std(new long[] {1}, true, true);
    if (stdFloor > 0) stdR = clampMin(stdR, stdFloor);
    return add(stdR, epsilon);
  }

  /** δ_{i,t} / (σ_g + ε) + μ·A_i; never clipped. */
  private Tensor prefix(Tensor r3, Tensor m3, Tensor ids, Tensor mask, int groupSize) {
    if (ids == null) throw new IllegalArgumentException("rl.advantage.mode=prefix needs token ids");
    long p = r3.size(0), t = r3.size(2);
    Tensor R = sum(r3, false, 2); // [P, G]
    Tensor delta =
        TokenCredit.prefixDeltas(ids, mask, R.reshape(p * groupSize), groupSize)
            .reshape(p, groupSize, t);
    if (scaleRewards) delta = delta.div(scale(R).unsqueeze(2));
    if (sequenceWeight > 0) delta = delta.add(mul(sequence(r3, m3), sequenceWeight));
    return delta.mul(m3);
  }

  /** δ_{i,t} / (σ_g + ε) + μ·A_i from the values at the segment cuts; never clipped. */
  private Tensor segmentCredit(Tensor r3, Tensor m3, Tensor mask, Segments segments) {
    if (segments == null) {
      throw new IllegalArgumentException(
          "rl.advantage.mode=" + mode.configName() + " needs the rollouts' segments");
    }
    long p = r3.size(0), g = r3.size(1), t = r3.size(2);
    Tensor R = sum(r3, false, 2); // [P, G]
    Tensor flatR = R.reshape(p * g);
    Tensor baseline = mean(R, true, 1).expand(new long[] {p, g}).reshape(p * g);
    Tensor delta =
        TokenCredit.segmentDeltas(
                segments.starts(), segments.valuesFor(flatR), flatR, baseline, mask)
            .reshape(p, g, t);
    if (scaleRewards) delta = delta.div(scale(R).unsqueeze(2));
    if (sequenceWeight > 0) delta = delta.add(mul(sequence(r3, m3), sequenceWeight));
    return delta.mul(m3);
  }

  /** clip(w_f·r, −c, c) on the tokens of groups whose completions all succeed or all fail. */
  private Tensor fallback(Tensor r3, Tensor m3, Tensor success, int groupSize) {
    if (success == null) {
      throw new IllegalArgumentException(
          "rl.advantage.fallback_weight > 0 needs each completion's success");
    }
    long p = r3.size(0);
    if (success.dim() != 1 || success.size(0) != p * groupSize) {
      throw new IllegalArgumentException(
          "success must have one entry per completion, "
              + p * groupSize
              + ", got "
              + Shapes.of(success));
    }
    Tensor k = sum(success.detach().to(r3.scalar_type()).reshape(p, groupSize), true, 1); // [P,1]
    Tensor noSignal =
        lt(k, 0.5).logical_or(gt(k, groupSize - 0.5)).to(r3.scalar_type()).unsqueeze(2);
    return clipped(mul(r3, fallbackWeight)).mul(m3).mul(noSignal);
  }

  /**
   * A_{i,t} = clip((G_{i,t} − b_{g,t}) [/ (s_{g,t} + ε)], −c, c) with per-position group
   * statistics.
   */
  private Tensor returnToGo(Tensor r3, Tensor m3) {
    Tensor G = r3.flip(2).cumsum(2).flip(2).mul(m3); // G_t = Σ_{t'≥t} r_t', 0 on padding
    Tensor N = sum(m3, true, 1); // rows of the group with a token at t, [P, 1, T]
    Tensor b = sum(G, true, 1).div(clampMin(N, 1.0));
    Tensor A = G.sub(b).mul(m3);
    if (scaleRewards) {
      Tensor s = sum(A.mul(A), true, 1).div(clampMin(sub(N, 1.0), 1.0)).sqrt();
      A = A.div(add(s, epsilon));
    }
    return clipped(A);
  }

  private Tensor clipped(Tensor x) {
    if (Double.isInfinite(clip)) return x;
    return clamp(x, -clip, clip);
  }
}
