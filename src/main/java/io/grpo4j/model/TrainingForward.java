package io.grpo4j.model;

import io.grpo4j.torch.Ops;
import io.grpo4j.torch.Scopes;
import org.bytedeco.pytorch.NoGradGuard;
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
 * <p>With {@code checkpointLayers} the decoder layers run without autograd and only each layer's
 * input [B, T, hidden] is kept; {@link #backward()} walks the layers from the last to the first,
 * recomputes each one with autograd from its saved input and back-propagates the incoming gradient
 * through it. Activation memory is then one layer's worth plus L inputs, for about one more forward
 * pass of compute. The gradients are those of the plain pass (same operations, same order), which
 * the tests check.
 */
public final class TrainingForward {
  private final Qwen2Model model;
  private final Tensor ids;
  private final Tensor mask;
  private final Tensor[] cosSin;
  private final boolean checkpointed;

  /** Without checkpointing: the final hidden states with their autograd graph. */
  private final Tensor graphOutput;

  /** With checkpointing: the input of every layer, then the last layer's output; no graph. */
  private final Tensor[] layerInputs;

  private final Tensor hidden;
  private boolean done;

  /**
   * A pass already computed with autograd: {@link #backward()} carries the gradient of {@code
   * output} through its graph.
   */
  static TrainingForward of(Tensor output) {
    return new TrainingForward(output);
  }

  private TrainingForward(Tensor output) {
    this.model = null;
    this.ids = null;
    this.mask = null;
    this.cosSin = null;
    this.checkpointed = false;
    this.graphOutput = output;
    this.layerInputs = null;
    this.hidden = output.detach().requires_grad_(true);
  }

  TrainingForward(
      Qwen2Model model, Tensor ids, Tensor positions, Tensor mask, boolean checkpointLayers) {
    this.model = model;
    this.ids = ids;
    this.mask = model.attentionMask(mask);
    this.checkpointed = checkpointLayers;
    this.cosSin = model.rotary(positions);
    if (!checkpointLayers) {
      Tensor x = model.embed(ids);
      for (int l = 0; l < model.layerCount(); l++) {
        int layer = l;
        Tensor in = x;
        x =
            Scopes.keepOnly(
                () -> model.layer(layer, in, cosSin, this.mask, null)); // see Qwen2Model.hidden
      }
      graphOutput = model.finalNorm(x);
      layerInputs = null;
      hidden = graphOutput.detach().requires_grad_(true);
    } else {
      graphOutput = null;
      layerInputs = new Tensor[model.layerCount() + 1];
      try (NoGradGuard ng = new NoGradGuard()) {
        layerInputs[0] = Scopes.keepOnly(() -> model.embed(ids));
        for (int l = 0; l < model.layerCount(); l++) {
          int layer = l;
          layerInputs[l + 1] =
              Scopes.keepOnly(
                  () -> model.layer(layer, layerInputs[layer], cosSin, this.mask, null));
        }
        hidden =
            Scopes.keepOnly(() -> model.finalNorm(layerInputs[model.layerCount()]))
                .requires_grad_(true);
      }
    }
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
    if (!checkpointed) {
      Ops.backward(graphOutput, grad);
      return;
    }
    int n = model.layerCount();
    Tensor g =
        Scopes.keepOnly(
            () -> {
              Tensor x = layerInputs[n].detach().requires_grad_(true);
              Ops.backward(model.finalNorm(x), grad);
              return new Tensor(x.grad());
            });
    for (int l = n - 1; l >= 0; l--) {
      int layer = l;
      Tensor upstream = g;
      g =
          Scopes.keepOnly(
              () -> {
                Tensor x = layerInputs[layer].detach().requires_grad_(true);
                Ops.backward(model.layer(layer, x, cosSin, mask, null), upstream);
                return new Tensor(x.grad());
              });
    }
    Tensor upstream = g;
    Scopes.keepOnly(
        () -> {
          Ops.backward(model.embed(ids), upstream);
          return upstream;
        });
  }
}
