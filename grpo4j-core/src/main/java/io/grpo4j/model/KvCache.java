package io.grpo4j.model;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Per-layer key/value cache, pre-allocated to its capacity so a decode step writes one slice
 * instead of concatenating (which would copy the whole cache every token).
 *
 * <p>Keys and values are stored after RoPE, shape [B, kvHeads, capacity, headDim]; {@link
 * #length()} positions are filled. A forward pass appends its T new positions to every layer and
 * then calls {@link #advance}.
 */
public final class KvCache extends AttentionCache {
  private final Tensor[] keys;
  private final Tensor[] values;
  private final int capacity;
  private int length;

  /**
   * Rows in use: the first {@code rows} of the buffers ({@link #regroup}); all of them at first.
   */
  private int rows;

  private KvCache(Tensor[] keys, Tensor[] values, int capacity, int length) {
    this.keys = keys;
    this.values = values;
    this.capacity = capacity;
    this.length = length;
    this.rows = (int) keys[0].size(0);
  }

  /** An empty cache for {@code batch} rows and up to {@code capacity} positions. */
  public static KvCache allocate(
      Qwen2Config cfg, int batch, int capacity, org.bytedeco.pytorch.TensorOptions options) {
    return new KvCache(
        zeros(cfg, batch, capacity, options), zeros(cfg, batch, capacity, options), capacity, 0);
  }

  /**
   * One zero tensor {@code [rows, kvHeads, capacity, headDim]} per layer: the keys or the values of
   * a cache (also {@link SlotKvCache}'s).
   */
  static Tensor[] zeros(
      Qwen2Config cfg, int rows, int capacity, org.bytedeco.pytorch.TensorOptions options) {
    Tensor[] t = new Tensor[cfg.numHiddenLayers()];
    long[] shape = {rows, cfg.numKeyValueHeads(), capacity, cfg.headDim()};
    for (int l = 0; l < t.length; l++) t[l] = torch.zeros(shape, options);
    return t;
  }

  public int length() {
    return length;
  }

  public int capacity() {
    return capacity;
  }

  /** Rows in use ({@link #regroup}); the buffers' batch size unless regrouped. */
  public int rows() {
    return rows;
  }

  /**
   * Rearranges the rows in place: afterwards row i holds what row {@code index[i]} held, and {@code
   * index.size(0)} rows are in use (at most the buffers' batch size). Rows may repeat (a row forked
   * into its children, which then continue from the same keys and values) or be left out (finished
   * rows). The buffers stay the same, so nothing is allocated beyond one gather per layer.
   *
   * @param index int64 {@code [n]} on the cache's device, entries in [0, rows())
   */
  public void regroup(Tensor index) {
    long n = index.size(0);
    if (n > keys[0].size(0)) {
      throw new IllegalArgumentException(
          "regroup to " + n + " rows, but the cache holds at most " + keys[0].size(0));
    }
    for (int l = 0; l < keys.length; l++) {
      regroupRows(keys[l], rows, index);
      regroupRows(values[l], rows, index);
    }
    rows = (int) n;
  }

  /**
   * {@code buffer[0:n] = buffer[0:rows][index]} in place, n = index.size(0) (the gather copies
   * first, so rows may move onto each other).
   */
  public static void regroupRows(Tensor buffer, int rows, Tensor index) {
    Tensor gathered = buffer.narrow(0, 0, rows).index_select(0, index);
    buffer.narrow(0, 0, index.size(0)).copy_(gathered);
  }

  /** The rows in use of a per-row buffer [maxRows, …]. */
  private Tensor inUse(Tensor buffer) {
    return rows == buffer.size(0) ? buffer : buffer.narrow(0, 0, rows);
  }

  /**
   * Writes the new keys/values [B, kvHeads, T, headDim] of layer {@code layer} at the current
   * length and returns views of everything cached so far, [B, kvHeads, length + T, headDim].
   */
  @Override
  Tensor[] append(int layer, Tensor k, Tensor v) {
    long t = k.size(2);
    if (length + t > capacity) {
      throw new IllegalStateException(
          "KV cache full: " + length + " + " + t + " > capacity " + capacity);
    }
    Tensor kb = inUse(keys[layer]);
    Tensor vb = inUse(values[layer]);
    kb.narrow(2, length, t).copy_(k);
    vb.narrow(2, length, t).copy_(v);
    return new Tensor[] {kb.narrow(2, 0, length + t), vb.narrow(2, 0, length + t)};
  }

  /** Marks {@code t} more positions as filled (after all layers appended them). */
  @Override
  void advance(int t) {
    length += t;
  }

  /** Keys [B, kvHeads, length, headDim] of layer {@code layer} (a view). */
  Tensor keys(int layer) {
    return inUse(keys[layer]).narrow(2, 0, length);
  }

  /** Values [B, kvHeads, length, headDim] of layer {@code layer} (a view). */
  Tensor values(int layer) {
    return inUse(values[layer]).narrow(2, 0, length);
  }

  int layers() {
    return keys.length;
  }

  /** The whole key buffer of layer {@code layer}, [B, kvHeads, capacity, headDim]. */
  Tensor keyBuffer(int layer) {
    return keys[layer];
  }

  /** The whole value buffer of layer {@code layer}, [B, kvHeads, capacity, headDim]. */
  Tensor valueBuffer(int layer) {
    return values[layer];
  }

  /**
   * A new cache whose row i is a copy of this cache's row {@code rows[i]}: how the G samples of a
   * prompt share one prefill.
   */
  public KvCache selectRows(Tensor rows) {
    Tensor[] k = new Tensor[keys.length];
    Tensor[] v = new Tensor[values.length];
    for (int l = 0; l < keys.length; l++) {
      k[l] = keys[l].index_select(0, rows);
      v[l] = values[l].index_select(0, rows);
    }
    return new KvCache(k, v, capacity, length);
  }
}
