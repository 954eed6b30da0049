package io.grpo4j.train;

import io.grpo4j.config.TrainOptions;
import io.grpo4j.model.AttentionMask;
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

  /** The pass of {@code forward} whose loss terms {@code head} computes from its hidden states. */
  TrainingPass(TrainingForward forward, ChunkedHead head) {
    this.forward = forward;
    this.head = head;
  }

  /**
   * Next-token training on full rows (SFT, the benchmark): positions 0 .. T−2 of {@code ids} [B, T]
   * predict {@code targets} [B, T−1], counted where {@code mask} [B, T−1] &gt; 0; no reference.
   *
   * @param valid [B, T] bool, real tokens (right padding false)
   */
  public static TrainingPass nextToken(
      Qwen2Model model,
      Tensor ids,
      Tensor valid,
      Tensor targets,
      Tensor mask,
      TrainOptions options) {
    long t = ids.size(1);
    TrainingForward forward =
        model.trainingForward(
            ids,
            AttentionMask.positions(valid),
            AttentionMask.of(valid, t),
            options.gradientCheckpointing());
    Tensor hidden = forward.hidden().narrow(1, 0, t - 1); // [B, T−1, H]
    return new TrainingPass(
        forward, ChunkedHead.logProbs(model, hidden, targets, mask, options.logitsChunk(), 1.0));
  }

  /** log π_θ(a_t) [B, T] (0 where masked out), differentiable. */
  public Tensor logProbs() {
    return head.terms().logProbs();
  }

  /** log π_ref(a_t) [B, T] (0 where masked out), no gradient; null unless the pass was asked. */
  Tensor refLogProbs() {
    return head.terms().refLogProbs();
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
