package io.grpo4j.train;

import io.grpo4j.model.Qwen2Model;
import io.grpo4j.model.TrainingForward;
import io.grpo4j.rl.KlPenalty;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * One training forward pass up to the per-token terms of the loss, and the one {@link
 * #backward(Tensor) backward(loss)} that carries the loss's gradient all the way into the
 * parameters:
 *
 * <pre>
 *   forward:  ids → decoder ({@link TrainingForward}: checkpointed layers or shared prompts)
 *                 → hidden [B, T, H] → chunked head ({@link ChunkedHead}) → terms [B, T]
 *   backward: loss → terms → chunked head → hidden → decoder → parameters
 * </pre>
 *
 * The three pieces keep their memory savings (no [B, T, V] logits, one layer's activations with
 * checkpointing); the caller sees one forward object and one backward call, as in a plain autograd
 * step.
 */
public final class TrainingPass {
  private final TrainingForward forward;
  private final ChunkedHead head;

  private TrainingPass(TrainingForward forward, ChunkedHead head) {
    this.forward = forward;
    this.head = head;
  }

  /**
   * The pass of {@code forward} whose hidden states {@code hidden} [B, T, H] (a part of {@code
   * forward.hidden()}) predict {@code tokenIds} [B, T] where {@code mask} [B, T] &gt; 0.
   *
   * @param reference π_ref for the KL terms, or null
   * @param refHidden π_ref's hidden states [B, T, H] (no gradient), or null
   * @param kl the KL penalty, or null without a reference
   * @param chunk completion positions per lm_head product ({@code model.logits_chunk})
   */
  static TrainingPass of(
      Qwen2Model model,
      TrainingForward forward,
      Tensor hidden,
      Qwen2Model reference,
      Tensor refHidden,
      KlPenalty kl,
      Tensor tokenIds,
      Tensor mask,
      int chunk) {
    return new TrainingPass(
        forward,
        new ChunkedHead(model, hidden, reference, refHidden, kl, tokenIds, mask, false, chunk));
  }

  /** {@link #of} without a reference model: the terms are log π_θ(a_t) only. */
  public static TrainingPass of(
      Qwen2Model model,
      TrainingForward forward,
      Tensor hidden,
      Tensor tokenIds,
      Tensor mask,
      int chunk) {
    return of(model, forward, hidden, null, null, null, tokenIds, mask, chunk);
  }

  /** log π_θ(a_t) [B, T] (0 where masked out), differentiable. */
  public Tensor logProbs() {
    return head.terms().logProbs();
  }

  /** The KL terms [B, T] to π_ref, differentiable; zeros without a reference. */
  KlPenalty.Terms kl() {
    KlPenalty.Terms kl = head.terms().kl();
    if (kl != null) return kl;
    Tensor zero = torch.zeros_like(logProbs());
    return new KlPenalty.Terms(zero, zero);
  }

  /**
   * The whole backward pass of {@code loss} (a 0-d tensor built from {@link #logProbs()} and {@link
   * #kl()}): its gradients accumulate into the parameters' {@code grad}. Call once.
   */
  public void backward(Tensor loss) {
    loss.backward();
    head.backward();
    forward.backward();
  }
}
