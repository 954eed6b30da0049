package io.grpo4j.model;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * The keys and values of a batch of prompts, kept with their autograd history so that a training
 * forward pass can compute each prompt once for all the completions sampled from it (see {@link
 * Qwen2Model#sharedPromptHidden}).
 *
 * <p>While the prompts run, {@link #append} records every layer's keys/values [P, kvHeads, Lp, d].
 * {@link #forRows} then gives the cache the completions attend through: row r reads prompt {@code
 * promptOfRow[r]}'s keys/values (an {@code index_select}, whose backward pass sums the gradients of
 * all rows of a prompt into it) followed by its own. Nothing is written in place, so autograd sees
 * every operation.
 */
final class SharedPromptKv extends AttentionCache {
  private final Tensor[] keys;
  private final Tensor[] values;
  private final boolean recording;

  /** The scope the cache was made in: recorded keys/values must outlive the layer's own scope. */
  private final PointerScope owner;

  private SharedPromptKv(Tensor[] keys, Tensor[] values, boolean recording) {
    this.keys = keys;
    this.values = values;
    this.recording = recording;
    this.owner = PointerScope.getInnerScope();
  }

  /** An empty cache that records the prompts' keys/values, one entry per layer. */
  static SharedPromptKv recording(int layers) {
    return new SharedPromptKv(new Tensor[layers], new Tensor[layers], true);
  }

  /**
   * The cache for the completion rows: row r attends over prompt {@code promptOfRow[r]}, then
   * itself.
   */
  SharedPromptKv forRows(Tensor promptOfRow) {
    if (!recording)
      throw new IllegalStateException("forRows is for the cache that recorded the prompts");
    Tensor[] k = new Tensor[keys.length];
    Tensor[] v = new Tensor[values.length];
    for (int l = 0; l < keys.length; l++) {
      if (keys[l] == null)
        throw new IllegalStateException("layer " + l + " recorded no prompt keys");
      k[l] = keys[l].index_select(0, promptOfRow);
      v[l] = values[l].index_select(0, promptOfRow);
    }
    return new SharedPromptKv(k, v, false);
  }

  @Override
  Tensor[] append(int layer, Tensor k, Tensor v) {
    if (recording) {
      // The layer runs in a scope of its own (Qwen2Model.hidden) that releases k and v when it
      // ends; the cache's scope holds them too, until the completions have read them.
      if (owner != null) {
        owner.attach(k);
        owner.attach(v);
      } else {
        k.retainReference();
        v.retainReference();
      }
      keys[layer] = k;
      values[layer] = v;
      return new Tensor[] {k, v};
    }
    return new Tensor[] {
      torch.cat(new TensorVector(keys[layer], k), 2),
      torch.cat(new TensorVector(values[layer], v), 2)
    };
  }

  @Override
  void advance(int t) {
    // The layout is fixed by the two passes; there is no running length to keep.
  }
}
