package io.grpo4j.model;

import io.grpo4j.torch.Ops;
import io.grpo4j.torch.Scopes;
import org.bytedeco.pytorch.Tensor;

/**
 * A training forward pass of {@link Qwen2Model} split at the final hidden states, so that the loss
 * can be computed in pieces (chunked logits) and the decoder can save memory (gradient
 * checkpointing) without either knowing about the other:
 *
 * <ol>
 *   <li>{@link #hidden()} is a leaf [B, T, hidden] that requires grad: compute the loss from it and
 *       call {@code backward} on the loss (or on its chunks), which fills {@code hidden().grad()};
 *   <li>{@link #backward()} carries that gradient on into the parameters.
 * </ol>
 *
 * <p>With checkpointing ({@link Qwen2Model#trainingForward}) the decoder layers ran without
 * autograd and only each layer's input [B, T, hidden] was kept; {@link #backward()} walks the
 * layers from the last to the first, recomputes each one with autograd from its saved input ({@link
 * Recompute}) and back-propagates the incoming gradient through it. Activation memory is then one
 * layer's worth plus L inputs, for about one more forward pass of compute. The gradients are those
 * of the plain pass (same operations, same order), which the tests check.
 */
public final class TrainingForward {
  /** What the checkpointed backward pass recomputes with autograd, given by the model. */
  interface Recompute {
    /** Decoder layer {@code l} on its input x [B, T, hidden]. */
    Tensor layer(int l, Tensor x);

    /** The last RMSNorm of x [B, T, hidden]. */
    Tensor finalNorm(Tensor x);

    /** The token embeddings [B, T, hidden] of the pass's ids. */
    Tensor embed();
  }

  /** Without checkpointing: the final hidden states with their autograd graph. */
  private final Tensor graphOutput;

  /** With checkpointing: the input of every layer, then the last layer's output; no graph. */
  private final Tensor[] layerInputs;

  private final Recompute recompute;
  private final Tensor hidden;
  private boolean done;

  private TrainingForward(
      Tensor graphOutput, Tensor[] layerInputs, Recompute recompute, Tensor hidden) {
    this.graphOutput = graphOutput;
    this.layerInputs = layerInputs;
    this.recompute = recompute;
    this.hidden = hidden.requires_grad_(true);
  }

  /**
   * A pass already computed with autograd: {@link #backward()} carries the gradient of {@code
   * output} through its graph.
   */
  static TrainingForward of(Tensor output) {
    return new TrainingForward(output, null, null, output.detach());
  }

  /**
   * A checkpointed pass: {@code layerInputs} holds the L layer inputs and the last layer's output,
   * {@code hidden} the final hidden states, all computed without autograd.
   */
  static TrainingForward checkpointed(Tensor[] layerInputs, Tensor hidden, Recompute recompute) {
    return new TrainingForward(null, layerInputs, recompute, hidden);
  }

  /** The final hidden states (after the last RMSNorm), a leaf that collects the loss's gradient. */
  public Tensor hidden() {
    return hidden;
  }

  /**
   * Back-propagates {@code hidden().grad()} into the model's parameters (accumulating into their
   * {@code grad}, as {@code backward} does). Call once, after the loss's backward pass.
   */
  public void backward() {
    if (done) throw new IllegalStateException("TrainingForward.backward() called twice");
    done = true;
    Tensor grad = hidden.grad();
    if (!grad.defined())
      throw new IllegalStateException(
          "the hidden states received no gradient: call backward on the loss first");
    if (layerInputs == null) {
      Ops.backward(graphOutput, grad);
      return;
    }
    int n = layerInputs.length - 1;
    Tensor g =
        Scopes.keepOnly(
            () -> {
              Tensor x = layerInputs[n].detach().requires_grad_(true);
              Ops.backward(recompute.finalNorm(x), grad);
              return new Tensor(x.grad());
            });
    for (int l = n - 1; l >= 0; l--) {
      int layer = l;
      Tensor upstream = g;
      g =
          Scopes.keepOnly(
              () -> {
                Tensor x = layerInputs[layer].detach().requires_grad_(true);
                Ops.backward(recompute.layer(layer, x), upstream);
                return new Tensor(x.grad());
              });
    }
    Tensor upstream = g;
    Scopes.keepOnly(
        () -> {
          Tensor embedded = recompute.embed();
          // a frozen embedding (LoRA trains adapters only) has no graph to carry the gradient on
          if (embedded.requires_grad()) Ops.backward(embedded, upstream);
          return upstream;
        });
  }
}
