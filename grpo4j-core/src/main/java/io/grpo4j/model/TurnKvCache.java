package io.grpo4j.model;

import io.grpo4j.torch.DType;
import io.grpo4j.torch.Tensors;
import java.util.Arrays;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * A KV cache for multi-turn rollouts: one slot per episode, each with its own length, and a
 * <em>block</em> of consecutive slots that the next forward pass extends: the rows that are
 * decoding (one token each), or rows that come back from their environment (the observation, a
 * different number of tokens each). Rows that wait for their environment sit outside the block and
 * cost nothing; {@link #swap} moves rows between the regions, so a block is always a contiguous
 * view (no gather of the whole cache per step).
 *
 * <p>Storage is [slots, kvHeads, capacity + 1, headDim] per layer; column j of a slot holds
 * position j of its sequence. The extra last column is a scratch column: the padding positions of a
 * block whose rows add fewer tokens than its widest row are written there (or to the unused columns
 * past their end), never to a column a real query sees.
 *
 * <p>A block of rows r = 0 … k−1 (slots {@code from + r}) adding n_r tokens, width W = max n_r:
 * query i of row r has position L_r + i (L_r the row's length) and sees columns 0 … L_r + i. Its
 * keys/values are written at column min(L_r + i, capacity).
 */
public final class TurnKvCache extends AttentionCache {
  private final Tensor[] keys;
  private final Tensor[] values;
  private final int capacity;
  private final int[] lengths;

  private int blockFrom;
  private int[] blockTokens = new int[0];
  private int blockWidth;

  /** [k, kvHeads, W, headDim] long write columns of the block; retained, see SlotKvCache. */
  private Tensor writeIndex;

  private TurnKvCache(Tensor[] keys, Tensor[] values, int slots, int capacity) {
    this.keys = keys;
    this.values = values;
    this.capacity = capacity;
    this.lengths = new int[slots];
  }

  /** Empty slots, each able to hold {@code capacity} positions. */
  public static TurnKvCache allocate(
      Qwen2Config cfg, int slots, int capacity, TensorOptions options) {
    if (slots <= 0 || capacity <= 0)
      throw new IllegalArgumentException(
          "slots and capacity must be > 0, got " + slots + ", " + capacity);
    return new TurnKvCache(
        KvCache.zeros(cfg, slots, capacity + 1, options),
        KvCache.zeros(cfg, slots, capacity + 1, options),
        slots,
        capacity);
  }

  public int slots() {
    return lengths.length;
  }

  public int capacity() {
    return capacity;
  }

  /** Positions held by slot {@code slot}. */
  public int length(int slot) {
    return lengths[slot];
  }

  /**
   * Copies the first {@code len} positions of row {@code row} of a prefilled cache (a prompt's
   * keys/values, right-padded) into slots {@code first … first + copies − 1}: the samples of one
   * prompt share its prefill.
   */
  public void fill(KvCache prefix, int row, int len, int first, int copies) {
    if (len <= 0 || len > prefix.length() || len > capacity)
      throw new IllegalArgumentException(
          "prefix length " + len + " outside 1.." + Math.min(prefix.length(), capacity));
    if (first < 0 || copies <= 0 || first + copies > slots())
      throw new IndexOutOfBoundsException(
          "slots " + first + ".." + (first + copies - 1) + " outside 0.." + (slots() - 1));
    for (int l = 0; l < keys.length; l++) {
      Tensor k = prefix.keys(l).select(0, row).narrow(1, 0, len);
      Tensor v = prefix.values(l).select(0, row).narrow(1, 0, len);
      for (int c = 0; c < copies; c++) {
        keys[l].select(0, first + c).narrow(1, 0, len).copy_(k);
        values[l].select(0, first + c).narrow(1, 0, len).copy_(v);
      }
    }
    for (int c = 0; c < copies; c++) lengths[first + c] = len;
  }

  /** Exchanges the contents (and lengths) of slots {@code a} and {@code b}. */
  public void swap(int a, int b) {
    if (a == b) return;
    int n = Math.max(lengths[a], lengths[b]);
    if (n > 0) {
      for (int l = 0; l < keys.length; l++) {
        swapRows(keys[l], a, b, n);
        swapRows(values[l], a, b, n);
      }
    }
    int t = lengths[a];
    lengths[a] = lengths[b];
    lengths[b] = t;
  }

  private static void swapRows(Tensor x, int a, int b, int n) {
    Tensor ra = x.select(0, a).narrow(1, 0, n);
    Tensor rb = x.select(0, b).narrow(1, 0, n);
    Tensor keep = ra.clone();
    ra.copy_(rb);
    rb.copy_(keep);
  }

  /**
   * Sets the block the next forward pass extends: slots {@code from … from + tokens.length − 1},
   * slot {@code from + r} adding {@code tokens[r]} ≥ 1 positions. The forward pass's input is [k,
   * W] (W = max tokens[r], rows right-padded), with {@link #positions} and {@link #mask}.
   */
  public void block(int from, int[] tokens) {
    if (tokens.length == 0 || from < 0 || from + tokens.length > slots())
      throw new IndexOutOfBoundsException(
          "block of " + tokens.length + " slots from " + from + " outside 0.." + (slots() - 1));
    int w = 0;
    for (int r = 0; r < tokens.length; r++) {
      if (tokens[r] < 1) throw new IllegalArgumentException("a block row adds at least 1 token");
      if (lengths[from + r] + tokens[r] > capacity)
        throw new IllegalStateException(
            "slot "
                + (from + r)
                + " is full: "
                + lengths[from + r]
                + " + "
                + tokens[r]
                + " > capacity "
                + capacity);
      w = Math.max(w, tokens[r]);
    }
    dropWriteIndex();
    blockFrom = from;
    blockTokens = tokens.clone();
    blockWidth = w;
  }

  /** Position ids [k, W] of the block: L_r + i. */
  public Tensor positions() {
    int k = blockTokens.length;
    long[] pos = new long[k * blockWidth];
    for (int r = 0; r < k; r++)
      for (int i = 0; i < blockWidth; i++) pos[r * blockWidth + i] = lengths[blockFrom + r] + i;
    return Tensors.longs(pos).reshape(k, blockWidth).to(keys[0].device(), torch.ScalarType.Long);
  }

  /** The bool mask [k, 1, W, S] of the block: query i of row r sees columns 0 … L_r + i. */
  public Tensor mask() {
    int k = blockTokens.length;
    long[] len = new long[k];
    for (int r = 0; r < k; r++) len[r] = lengths[blockFrom + r];
    var longs = Tensors.options(DType.I64, keys[0].device());
    Tensor keyPos = torch.arange(new Scalar(columns()), longs).view(1, 1, 1, -1); // [1,1,1,S]
    Tensor queryOffset = torch.arange(new Scalar(blockWidth), longs).view(1, 1, -1, 1); // [1,1,W,1]
    Tensor start = Tensors.longs(len).to(keys[0].device(), torch.ScalarType.Long).view(k, 1, 1, 1);
    return torch.le(keyPos, start.add(queryOffset)); // [k,1,W,S]
  }

  /** S: the columns a block attends over, max L_r + W (at most the scratch column). */
  private int columns() {
    int s = 0;
    for (int r = 0; r < blockTokens.length; r++) s = Math.max(s, lengths[blockFrom + r]);
    return Math.min(s + blockWidth, capacity + 1);
  }

  @Override
  Tensor[] append(int layer, Tensor k, Tensor v) {
    int rows = blockTokens.length;
    if (k.size(0) != rows || k.size(2) != blockWidth) {
      throw new IllegalArgumentException(
          "the block takes ["
              + rows
              + ", kvHeads, "
              + blockWidth
              + ", headDim], got "
              + Arrays.toString(Tensors.shape(k)));
    }
    if (writeIndex == null) {
      long[] at = new long[rows * blockWidth];
      for (int r = 0; r < rows; r++)
        for (int i = 0; i < blockWidth; i++)
          at[r * blockWidth + i] = Math.min(lengths[blockFrom + r] + i, capacity);
      writeIndex =
          Tensors.longs(at)
              .to(k.device(), torch.ScalarType.Long)
              .view(rows, 1, blockWidth, 1)
              .expand(Tensors.shape(k))
              .contiguous();
      writeIndex.retainReference();
    }
    Tensor kRows = keys[layer].narrow(0, blockFrom, rows);
    Tensor vRows = values[layer].narrow(0, blockFrom, rows);
    kRows.scatter_(2, writeIndex, k);
    vRows.scatter_(2, writeIndex, v);
    int s = columns();
    return new Tensor[] {kRows.narrow(2, 0, s), vRows.narrow(2, 0, s)};
  }

  @Override
  void advance(int t) {
    if (t != blockWidth)
      throw new IllegalStateException(
          "advanced by " + t + ", the block is " + blockWidth + " wide");
    for (int r = 0; r < blockTokens.length; r++) lengths[blockFrom + r] += blockTokens[r];
    dropWriteIndex();
    blockTokens = new int[0];
  }

  private void dropWriteIndex() {
    if (writeIndex != null) writeIndex.releaseReference();
    writeIndex = null;
  }
}
