package io.grpo4j.model;

import io.grpo4j.torch.DType;
import io.grpo4j.torch.Tensors;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A KV cache whose every decode step has the same shapes and reads no host value: attention always
 * spans the whole capacity (a mask hides the columns not yet written), and the column the next
 * positions go to lives in a device tensor that {@link #advance} moves on the device. So a decode
 * step through it launches the same kernels on the same buffers every time: what a CUDA graph
 * needs, and no host-device synchronisation for the position. {@link KvCache} instead returns views
 * that grow by one column per step.
 *
 * <p>Layout: keys and values after RoPE, [B, kvHeads, capacity, headDim] per layer. The caller
 * keeps a key-validity matrix [B, capacity] and marks the new column valid ({@link #markWritten})
 * before each forward pass; {@link #mask} turns it into the attention mask. Rows are left-padded as
 * for {@link KvCache}, so the new column is the same for every row.
 */
public final class StaticKvCache extends AttentionCache {
  private final Tensor[] keys;
  private final Tensor[] values;
  private final Tensor column;
  private final int capacity;

  private StaticKvCache(Tensor[] keys, Tensor[] values, Tensor column, int capacity) {
    this.keys = keys;
    this.values = values;
    this.column = column;
    this.capacity = capacity;
  }

  /** A copy of a filled {@link KvCache} (e.g. after the prefill), continuing where it stopped. */
  public static StaticKvCache from(KvCache filled) {
    int n = filled.layers();
    Tensor[] k = new Tensor[n];
    Tensor[] v = new Tensor[n];
    for (int l = 0; l < n; l++) {
      k[l] = filled.keyBuffer(l).clone();
      v[l] = filled.valueBuffer(l).clone();
    }
    Tensor col =
        torch
            .full(
                new long[] {1},
                new Scalar((long) filled.length()),
                Tensors.options(DType.I64, k[0].device()))
            .contiguous();
    return new StaticKvCache(k, v, col, filled.capacity());
  }

  /** The column the next position is written to: a [1] int64 tensor on the cache's device. */
  public Tensor column() {
    return column;
  }

  /** Sets {@code keyValid[:, column]} to true, on the device (call before the forward pass). */
  public void markWritten(Tensor keyValid) {
    keyValid.index_fill_(1, column, new Scalar(1));
  }

  /** The attention mask [B, 1, 1, capacity] of a one-token decode step: the valid keys. */
  public static Tensor mask(Tensor keyValid) {
    return keyValid.unsqueeze(1).unsqueeze(1);
  }

  @Override
  Tensor[] append(int layer, Tensor k, Tensor v) {
    long t = k.size(2);
    Tensor at =
        t == 1
            ? column
            : column.add(torch.arange(new Scalar(t), Tensors.options(DType.I64, k.device())));
    keys[layer].index_copy_(2, at, k);
    values[layer].index_copy_(2, at, v);
    return new Tensor[] {keys[layer].narrow(2, 0, capacity), values[layer].narrow(2, 0, capacity)};
  }

  @Override
  void advance(int t) {
    column.add_(new Scalar(t));
  }
}
