package io.grpo4j.dist;

import io.grpo4j.torch.Tensors;
import java.time.Duration;
import org.bytedeco.pytorch.Tensor;

/**
 * The ranks of a data-parallel job and the collectives the trainers need. Every rank must call the
 * same collectives in the same order with tensors of the same shape and dtype. A collective that a
 * peer does not join (it died or hangs) fails with a {@link DistException} after the group's
 * timeout, never blocks for ever.
 *
 * <p>{@link #single()} is the group of one process: every collective is the identity, so trainer
 * code reads the same with and without distribution.
 */
public interface DistGroup extends AutoCloseable {

  /** This process's place in the job. */
  DistEnv env();

  default int rank() {
    return env().rank();
  }

  default int worldSize() {
    return env().worldSize();
  }

  /** Rank 0, the one that writes the run's files. */
  default boolean isMain() {
    return env().isMain();
  }

  /** In place: {@code t ← Σ_ranks t}. */
  void allReduceSum(Tensor t);

  /** In place: {@code t ← max_ranks t} (element-wise). */
  void allReduceMax(Tensor t);

  /** In place: every rank's {@code t} becomes {@code root}'s. */
  void broadcast(Tensor t, int root);

  /** Returns when every rank has reached it. */
  void barrier();

  /** Element-wise sums over ranks of a few numbers (metric totals, counts), in float64. */
  default double[] sum(double... values) {
    if (worldSize() == 1) return values.clone();
    Tensor t = Tensors.doubles(values);
    allReduceSum(t);
    return Tensors.toDoubles(t);
  }

  /** Element-wise maxima over ranks, in float64. */
  default double[] max(double... values) {
    if (worldSize() == 1) return values.clone();
    Tensor t = Tensors.doubles(values);
    allReduceMax(t);
    return Tensors.toDoubles(t);
  }

  /**
   * Fails on every rank, naming {@code what}, unless all ranks passed the same {@code values}
   * (shapes of the parameter list, a resumed step, a config hash): the first collective of a job
   * should check that the ranks agree on what they are about to reduce.
   */
  default void requireSame(String what, double... values) {
    if (worldSize() == 1) return;
    double[] hi = max(values);
    double[] negLo = max(negate(values));
    for (int i = 0; i < values.length; i++) {
      if (hi[i] != -negLo[i]) {
        throw new DistException(
            "rank "
                + rank()
                + ": ranks disagree on "
                + what
                + " (item "
                + i
                + ": this rank "
                + values[i]
                + ", min "
                + (-negLo[i])
                + ", max "
                + hi[i]
                + ")");
      }
    }
  }

  /** Leaves the group; collectives fail afterwards. */
  @Override
  void close();

  /** The group of one process. */
  static DistGroup single() {
    return Single.INSTANCE;
  }

  /**
   * The group of this process: {@link #single()} when {@code env} is a job of one, otherwise a c10d
   * group with the backend {@code kind} resolves to for {@code device} (see {@link C10dGroup#join}
   * for the timeouts).
   */
  static DistGroup join(
      DistEnv env, BackendKind kind, String device, Duration joinTimeout, Duration timeout) {
    if (!env.distributed()) return single();
    return C10dGroup.join(env, kind.resolve(device), joinTimeout, timeout);
  }

  private static double[] negate(double[] v) {
    double[] n = new double[v.length];
    for (int i = 0; i < v.length; i++) n[i] = -v[i];
    return n;
  }

  /** One process: every collective is the identity. */
  final class Single implements DistGroup {
    static final Single INSTANCE = new Single();
    private static final DistEnv ENV = DistEnv.single();

    private Single() {}

    @Override
    public DistEnv env() {
      return ENV;
    }

    @Override
    public void allReduceSum(Tensor t) {}

    @Override
    public void allReduceMax(Tensor t) {}

    @Override
    public void broadcast(Tensor t, int root) {
      if (root != 0) throw new IllegalArgumentException("root " + root + " of a 1-rank group");
    }

    @Override
    public void barrier() {}

    @Override
    public void close() {}
  }
}
