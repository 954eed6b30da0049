package io.grpo4j.model;

import io.grpo4j.torch.Tensors;
import java.util.Arrays;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * A KV cache for continuous batching: a fixed number of slots, each holding one sequence with its
 * own length, so sequences can join and leave between decode steps.
 *
 * <p>Storage is [slots, kvHeads, capacity, headDim] per layer; column j of a slot holds position j
 * of that slot's sequence. The occupied slots are always the first {@link #slots()} − {@link
 * #free()}: a decode step runs on exactly those rows through a view (no gather), and {@link
 * #release} fills the hole a finished sequence leaves by moving the last occupied slot into it.
 *
 * <p>A decode step feeds one token per occupied slot: each row writes its new key/value at its own
 * column {@code length(r)}, sees columns 0 … length(r) ({@link #decodeMask}), and takes position id
 * length(r) ({@link #decodePositions}).
 *
 * <p>{@link #fixedStep} is the same step with shapes that depend only on a bucket (rows, columns),
 * and with the lengths read from a device tensor ({@link #syncLengths}): what a CUDA graph captured
 * once per bucket replays.
 */
public final class SlotKvCache extends AttentionCache {
  private final Tensor[] keys;
  private final Tensor[] values;
  private final int capacity;
  private final int[] lengths;
  private int occupied;

  /**
   * [rows, kvHeads, 1, headDim] long, built on the first layer's append and reused by the others.
   * Each layer runs in a scope of its own (Qwen2Model.hidden), so the index holds a reference of
   * its own, released by {@link #dropWriteIndex}.
   */
  private Tensor writeIndex;

  /** [slots] int64 on the cache's device: the lengths a {@link FixedStep} reads (free slots 0). */
  private final Tensor deviceLengths;

  private SlotKvCache(Tensor[] keys, Tensor[] values, int slots, int capacity) {
    this.keys = keys;
    this.values = values;
    this.capacity = capacity;
    this.lengths = new int[slots];
    this.deviceLengths =
        torch.zeros(
            new long[] {slots}, Tensors.options(io.grpo4j.torch.DType.I64, keys[0].device()));
  }

  /** Empty slots, each able to hold {@code capacity} positions. */
  public static SlotKvCache allocate(
      Qwen2Config cfg, int slots, int capacity, TensorOptions options) {
    if (slots <= 0 || capacity <= 0)
      throw new IllegalArgumentException(
          "slots and capacity must be > 0, got " + slots + ", " + capacity);
    return new SlotKvCache(
        KvCache.zeros(cfg, slots, capacity, options),
        KvCache.zeros(cfg, slots, capacity, options),
        slots,
        capacity);
  }

  public int slots() {
    return lengths.length;
  }

  public int free() {
    return lengths.length - occupied;
  }

  /**
   * Copies the first {@code len} positions of row {@code row} of a prefilled cache (a prompt's
   * keys/values, right-padded) into the next {@code copies} free slots; returns the first of them.
   * The n samples of one prompt share its prefill.
   */
  public int admit(KvCache prefix, int row, int len, int copies) {
    if (len <= 0 || len > prefix.length())
      throw new IllegalArgumentException("prefix length " + len + " outside 1.." + prefix.length());
    if (copies <= 0 || copies > free())
      throw new IllegalStateException("need " + copies + " free slots, have " + free());
    if (len > capacity)
      throw new IllegalArgumentException(
          "prefix of " + len + " positions exceeds the slot capacity " + capacity);
    int first = occupied;
    for (int l = 0; l < keys.length; l++) {
      Tensor k = prefix.keys(l).select(0, row).narrow(1, 0, len);
      Tensor v = prefix.values(l).select(0, row).narrow(1, 0, len);
      for (int c = 0; c < copies; c++) {
        keys[l].select(0, first + c).narrow(1, 0, len).copy_(k);
        values[l].select(0, first + c).narrow(1, 0, len).copy_(v);
      }
    }
    for (int c = 0; c < copies; c++) lengths[first + c] = len;
    occupied += copies;
    return first;
  }

  /**
   * Frees slot {@code slot}. To keep the occupied slots contiguous, the last occupied slot moves
   * into it; returns the slot that moved (equal to {@code slot} when it was the last one).
   */
  public int release(int slot) {
    checkOccupied(slot);
    int last = occupied - 1;
    if (slot != last) {
      int len = lengths[last];
      for (int l = 0; l < keys.length; l++) {
        keys[l].select(0, slot).narrow(1, 0, len).copy_(keys[l].select(0, last).narrow(1, 0, len));
        values[l]
            .select(0, slot)
            .narrow(1, 0, len)
            .copy_(values[l].select(0, last).narrow(1, 0, len));
      }
      lengths[slot] = len;
    }
    lengths[last] = 0;
    occupied--;
    return last;
  }

  /** Position ids [occupied, 1] of the next token of every occupied slot. */
  public Tensor decodePositions() {
    dropWriteIndex();
    long[] pos = new long[occupied];
    for (int r = 0; r < occupied; r++) pos[r] = lengths[r];
    return Tensors.longs(pos).reshape(occupied, 1).to(keys[0].device(), torch.ScalarType.Long);
  }

  /**
   * Mask [occupied, 1, 1, S] for one new token per slot, S = longest length + 1: row r sees columns
   * 0 … length(r) (its history and the token being fed).
   */
  public Tensor decodeMask() {
    dropWriteIndex(); // a new step: never reuse an index from a step that failed half-way
    int s = columnsNeeded();
    long[] len = new long[occupied];
    for (int r = 0; r < occupied; r++) len[r] = lengths[r];
    Tensor keyPos =
        torch
            .arange(new Scalar(s), Tensors.options(io.grpo4j.torch.DType.I64, keys[0].device()))
            .unsqueeze(0); // [1,S]
    Tensor lastSeen =
        Tensors.longs(len).to(keys[0].device(), torch.ScalarType.Long).unsqueeze(1); // [R,1]
    return torch.le(keyPos, lastSeen).unsqueeze(1).unsqueeze(1);
  }

  /** True when every occupied slot has room for one more position. */
  public boolean canAdvance() {
    for (int r = 0; r < occupied; r++) if (lengths[r] >= capacity) return false;
    return true;
  }

  @Override
  Tensor[] append(int layer, Tensor k, Tensor v) {
    if (k.size(0) != occupied || k.size(2) != 1) {
      throw new IllegalArgumentException(
          "a slot cache takes one new position per occupied slot: got "
              + Arrays.toString(Tensors.shape(k))
              + " for "
              + occupied
              + " occupied slots");
    }
    if (!canAdvance())
      throw new IllegalStateException("a slot is full (capacity " + capacity + ")");
    if (writeIndex == null) {
      long[] at = new long[occupied];
      for (int r = 0; r < occupied; r++) at[r] = lengths[r];
      writeIndex =
          Tensors.longs(at)
              .to(k.device(), torch.ScalarType.Long)
              .view(occupied, 1, 1, 1)
              .expand(Tensors.shape(k))
              .contiguous();
      writeIndex.retainReference();
    }
    Tensor kRows = keys[layer].narrow(0, 0, occupied);
    Tensor vRows = values[layer].narrow(0, 0, occupied);
    kRows.scatter_(2, writeIndex, k);
    vRows.scatter_(2, writeIndex, v);
    int s = columnsNeeded();
    return new Tensor[] {kRows.narrow(2, 0, s), vRows.narrow(2, 0, s)};
  }

  @Override
  void advance(int t) {
    for (int r = 0; r < occupied; r++) lengths[r] += t;
    dropWriteIndex();
  }

  /** The capacity of every slot (positions). */
  public int capacity() {
    return capacity;
  }

  /** The longest occupied sequence (0 when none). */
  public int longest() {
    return columnsNeeded() - 1;
  }

  /**
   * Copies the occupied slots' lengths into the device tensor a {@link FixedStep} reads, free slots
   * as 0. Call before each fixed step.
   */
  public void syncLengths() {
    long[] all = new long[lengths.length];
    for (int r = 0; r < occupied; r++) all[r] = lengths[r];
    deviceLengths.copy_(Tensors.longs(all));
  }

  /**
   * Every occupied slot is one position longer: after a {@link FixedStep}'s forward pass, which
   * (being replayable) changes no host state itself.
   */
  public void advanceOccupied() {
    if (!canAdvance())
      throw new IllegalStateException("a slot is full (capacity " + capacity + ")");
    for (int r = 0; r < occupied; r++) lengths[r]++;
  }

  /**
   * A decode step over slots 0 … rows − 1 whose shapes depend only on ({@code rows}, {@code
   * columns}): rows ≥ the occupied slots (the rows past them are padding: they read and write
   * column 0 of free slots, and their outputs are thrown away), and columns > every occupied
   * length, ≤ the capacity. Everything it reads comes from device tensors ({@link #syncLengths}),
   * so a CUDA graph of a forward pass through it replays correctly for any slots of the same
   * bucket.
   */
  public FixedStep fixedStep(int rows, int columns) {
    if (rows < occupied || rows > lengths.length)
      throw new IllegalArgumentException(
          "rows " + rows + " outside " + occupied + ".." + lengths.length);
    if (columns <= longest() || columns > capacity)
      throw new IllegalArgumentException(
          "columns " + columns + " outside " + (longest() + 1) + ".." + capacity);
    return new FixedStep(this, rows, columns);
  }

  /** See {@link SlotKvCache#fixedStep}. */
  public static final class FixedStep extends AttentionCache {
    private final SlotKvCache cache;
    private final int rows;
    private final int columns;

    private FixedStep(SlotKvCache cache, int rows, int columns) {
      this.cache = cache;
      this.rows = rows;
      this.columns = columns;
    }

    private Tensor lengths() {
      return cache.deviceLengths.narrow(0, 0, rows);
    }

    /** Position ids [rows, 1]: each slot's length (a view of the device lengths). */
    public Tensor positions() {
      return lengths().view(rows, 1);
    }

    /** Mask [rows, 1, 1, columns]: row r sees columns 0 … length(r). */
    public Tensor mask() {
      Tensor col =
          torch
              .arange(
                  new Scalar(columns),
                  Tensors.options(io.grpo4j.torch.DType.I64, cache.deviceLengths.device()))
              .unsqueeze(0); // [1, columns]
      return torch.le(col, lengths().unsqueeze(1)).view(rows, 1, 1, columns);
    }

    @Override
    Tensor[] append(int layer, Tensor k, Tensor v) {
      Tensor at = lengths().view(rows, 1, 1, 1).expand(Tensors.shape(k)).contiguous();
      Tensor kRows = cache.keys[layer].narrow(0, 0, rows);
      Tensor vRows = cache.values[layer].narrow(0, 0, rows);
      kRows.scatter_(2, at, k);
      vRows.scatter_(2, at, v);
      return new Tensor[] {kRows.narrow(2, 0, columns), vRows.narrow(2, 0, columns)};
    }

    /** Nothing on the host: {@link SlotKvCache#advanceOccupied} does it after the step. */
    @Override
    void advance(int t) {}
  }

  private void dropWriteIndex() {
    if (writeIndex != null) writeIndex.releaseReference();
    writeIndex = null;
  }

  private int columnsNeeded() {
    int max = 0;
    for (int r = 0; r < occupied; r++) max = Math.max(max, lengths[r]);
    return max + 1;
  }

  private void checkOccupied(int slot) {
    if (slot < 0 || slot >= occupied)
      throw new IndexOutOfBoundsException(
          "slot " + slot + " is not occupied (0.." + (occupied - 1) + ")");
  }
}
