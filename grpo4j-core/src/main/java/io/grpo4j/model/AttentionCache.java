package io.grpo4j.model;

import org.bytedeco.pytorch.Tensor;

/**
 * Where a forward pass keeps the keys and values of earlier positions. Two layouts: {@link
 * KvCache}, one shared length for a batch that advances in lock step (training rollouts), and
 * {@link SlotKvCache}, one length per row, so that sequences can join and leave a running batch
 * (serving). {@link SharedPromptKv} keeps prompts' keys/values with their autograd history so a
 * training pass computes each prompt once for all its completions. {@link StaticKvCache} keeps
 * every decode step's shapes fixed (for CUDA graphs), and {@link SlotKvCache.FixedStep} does the
 * same for a slot cache (serving).
 */
public abstract sealed class AttentionCache
    permits KvCache,
        SlotKvCache,
        SlotKvCache.FixedStep,
        SharedPromptKv,
        StaticKvCache,
        TurnKvCache {
  AttentionCache() {}

  /**
   * Stores the new keys/values [B, kvHeads, T, headDim] of layer {@code layer} and returns the
   * keys/values to attend over, [B, kvHeads, S, headDim] (the mask passed to the forward pass says
   * which of the S positions each row may see). It runs inside the layer's own {@code
   * PointerScope}, which releases every tensor made during the call: a tensor the cache keeps
   * beyond the call needs a reference of its own.
   */
  abstract Tensor[] append(int layer, Tensor k, Tensor v);

  /** Called once after all layers appended their T new positions. */
  abstract void advance(int t);
}
