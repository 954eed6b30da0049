package io.grpo4j.task.jsonl;

import java.util.SplittableRandom;

/**
 * The order in which training rows are visited: epoch after epoch, each a fresh permutation of the
 * rows seeded by {@code (seed, epoch)}. Position {@code k} of the run is row {@code permutation(k /
 * size)[k % size]}: a pure function of the seed and the position, so a resumed run continues with
 * exactly the rows it would have seen (step s with P prompts per step uses positions {@code s·P …
 * s·P+P−1}).
 */
public final class EpochOrder {
  private final int size;
  private final long seed;
  private long cachedEpoch = -1;
  private int[] cached;

  public EpochOrder(int size, long seed) {
    if (size < 1) throw new IllegalArgumentException("no rows to visit");
    this.size = size;
    this.seed = seed;
  }

  /** The row index visited at a position (0, 1, 2, ... over all epochs). */
  public synchronized int row(long position) {
    if (position < 0) throw new IllegalArgumentException("negative position " + position);
    long epoch = position / size;
    if (epoch != cachedEpoch) {
      cached = permutation(epoch);
      cachedEpoch = epoch;
    }
    return cached[(int) (position % size)];
  }

  private int[] permutation(long epoch) {
    SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
    int[] p = new int[size];
    for (int i = 0; i < size; i++) p[i] = i;
    for (int i = size - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
