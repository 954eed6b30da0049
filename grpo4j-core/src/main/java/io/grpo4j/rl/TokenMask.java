package io.grpo4j.rl;

import org.bytedeco.pytorch.Tensor;

/**
 * Which tokens carry the policy gradient ({@code rl.token_mask.*}). With {@code top_entropy} q &gt;
 * 0 only the ⌈q·n⌉ tokens of highest sampling entropy in the batch keep their advantage (Wang et
 * al. 2025, "Beyond the 80/20 rule": the high-entropy "forking" tokens carry the decisions), the
 * others get A = 0; the KL terms still see every token:
 *
 * <pre>A_{i,t} ← A_{i,t} · [H_{i,t} ≥ H_(q)]</pre>
 *
 * with H_(q) the entropy of the ⌈q·n⌉-th most uncertain valid token ({@link
 * TokenCredit#topEntropyMask}).
 *
 * <p>This record is the run config's {@code rl.token_mask} section, checked here.
 *
 * @param topEntropy q in [0, 1], 0 = off, every token keeps its advantage ({@link #TOP_ENTROPY})
 */
public record TokenMask(double topEntropy) {
  /**
   * Default {@code rl.token_mask.top_entropy}: off, every token keeps its advantage as in GRPO (the
   * forking-token result, Wang et al. 2025, is from 8B–32B models).
   */
  public static final double TOP_ENTROPY = 0.0;

  /** The defaults, the run config's {@code rl.token_mask} section unless it is set. */
  public static final TokenMask DEFAULTS = new TokenMask(TOP_ENTROPY);

  public TokenMask {
    if (!(topEntropy >= 0 && topEntropy <= 1)) {
      throw new IllegalArgumentException(
          "rl.token_mask.top_entropy must be in [0, 1] (0 = off), got " + topEntropy);
    }
  }

  /** True when some tokens lose their advantage. */
  public boolean active() {
    return topEntropy > 0 && topEntropy < 1;
  }

  /** The advantages with this mask applied (the same result when inactive). */
  public Advantages.Result apply(Advantages.Result adv, Tensor entropy, Tensor mask) {
    if (!active()) return adv;
    if (entropy == null) {
      throw new IllegalArgumentException("rl.token_mask.top_entropy needs the entropies");
    }
    Tensor a = adv.advantages();
    Tensor keep = Shapes.maskLike(TokenCredit.topEntropyMask(entropy, mask, topEntropy), a);
    return Advantages.Result.of(a.mul(keep), mask);
  }
}
