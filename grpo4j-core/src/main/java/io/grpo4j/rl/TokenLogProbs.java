package io.grpo4j.rl;

import io.grpo4j.torch.DType;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Log-probability of the tokens actually taken, {@code log π(a_t|s_t)}: the quantity whose gradient
 * the policy-gradient theorem follows and whose difference gives the PPO ratio ρ_t.
 *
 * <pre>log π(a_t|s_t) = z_{t,a_t} − log Σ_v exp z_{t,v}     (= log_softmax(z)_{a_t})</pre>
 *
 * Computed as a gather minus a {@code logsumexp}, which equals gathering from {@code log_softmax}
 * but never materialises a second {@code [B, T, V]} tensor.
 */
public final class TokenLogProbs {
  private TokenLogProbs() {}

  /**
   * @param logits {@code [B, T, V]}, position t scoring the token at position t (bf16/f16 are
   *     computed in float32)
   * @param tokenIds {@code [B, T]} int64 ids in {@code [0, V)} (padding positions too: use any
   *     valid id such as 0 and ignore the value through the mask)
   * @return {@code [B, T]} log-probabilities, differentiable w.r.t. {@code logits}
   */
  public static Tensor of(Tensor logits, Tensor tokenIds) {
    Shapes.requireLogitsFor("logits", logits, "tokenIds", tokenIds);
    Tensor z = Shapes.asComputeFloat(logits);
    Tensor ids =
        DType.same(tokenIds.scalar_type(), ScalarType.Long)
            ? tokenIds
            : tokenIds.to(ScalarType.Long);
    Tensor chosen = z.gather(-1, ids.unsqueeze(-1)).squeeze(-1);
    return chosen.sub(z.logsumexp(new long[] {-1}, false));
  }
}
