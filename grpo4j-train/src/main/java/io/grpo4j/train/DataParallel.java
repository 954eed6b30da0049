package io.grpo4j.train;

import io.grpo4j.dist.DistGroup;
import io.grpo4j.dist.GradientBuckets;
import io.grpo4j.eval.EvalReport;
import io.grpo4j.eval.EvalScores;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.List;
import java.util.function.UnaryOperator;
import org.bytedeco.pytorch.Tensor;

/**
 * What the trainers need from data parallelism (docs/distributed.md), over one {@link DistGroup}:
 *
 * <ul>
 *   <li>the step's P prompts are drawn as in a single process; rank r takes the slice {@code
 *       [r·P/W, (r+1)·P/W)}, whole groups, and samples it with a rollout seed derived from (seed,
 *       step, r);
 *   <li>losses are divided by the counts of all ranks ({@link #sum}), gradients summed over ranks
 *       in buckets ({@link #allReduceGradients}), so W ranks make the update of one process on the
 *       concatenated batch;
 *   <li>metric sums and evaluation counts are summed over ranks; only rank 0 writes files.
 * </ul>
 *
 * With a group of one every method is the identity and every seed that of a single-process run.
 */
final class DataParallel {
  private final DistGroup group;
  private final GradientBuckets buckets;

  /**
   * @param params the trainable (master) parameters, the same list in the same order on every rank
   * @param bucketBytes gradient bucket size ({@code distributed.bucket_mb})
   */
  DataParallel(DistGroup group, List<Tensor> params, long bucketBytes) {
    this.group = group;
    this.buckets = new GradientBuckets(params, bucketBytes);
  }

  DistGroup group() {
    return group;
  }

  boolean isMain() {
    return group.isMain();
  }

  int rank() {
    return group.rank();
  }

  int worldSize() {
    return group.worldSize();
  }

  /** Rank 0's weights to every rank, so all start identical (and the layouts are checked). */
  void broadcastWeights() {
    buckets.broadcast(group, 0);
  }

  /** g ← Σ_ranks g for every parameter (after backward, before clipping and the optimizer step). */
  void allReduceGradients() {
    buckets.allReduce(group);
  }

  /** Σ over ranks of one value (the value itself in one process). */
  double sum(double local) {
    return group.sum(local)[0];
  }

  /** The maximum over ranks of one value. */
  double max(double local) {
    return group.max(local)[0];
  }

  /**
   * A record of {@code double}s summed over ranks field by field (one collective for all fields);
   * in one process, an equal record.
   */
  <R extends Record> R sum(R local) {
    return reduce(local, group::sum);
  }

  /** A record of {@code double}s, each field the maximum over ranks. */
  <R extends Record> R max(R local) {
    return reduce(local, group::max);
  }

  /** {@code local}'s fields, in declaration order, through {@code op}, back into a record. */
  static <R extends Record> R reduce(R local, UnaryOperator<double[]> op) {
    RecordComponent[] fields = local.getClass().getRecordComponents();
    double[] values = new double[fields.length];
    Class<?>[] types = new Class<?>[fields.length];
    try {
      for (int i = 0; i < fields.length; i++) {
        types[i] = fields[i].getType();
        if (types[i] != double.class) {
          throw new IllegalArgumentException(
              local.getClass().getSimpleName() + "." + fields[i].getName() + " is not a double");
        }
        Method get = fields[i].getAccessor();
        get.setAccessible(true);
        values[i] = (double) get.invoke(local);
      }
      double[] reduced = op.apply(values);
      Object[] args = new Object[fields.length];
      for (int i = 0; i < args.length; i++) args[i] = reduced[i];
      @SuppressWarnings("unchecked")
      Constructor<R> make = (Constructor<R>) local.getClass().getDeclaredConstructor(types);
      make.setAccessible(true);
      return make.newInstance(args);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot reduce " + local.getClass().getName(), e);
    }
  }

  /**
   * This rank's slice {@code [from, to)} of {@code n} items that are split in equal shares; fails
   * with a message naming {@code what} when {@code n} is not a multiple of the world size.
   */
  int[] share(int n, String what) {
    int w = worldSize();
    if (n % w != 0) {
      throw new IllegalArgumentException(
          what
              + " = "
              + n
              + " must be a multiple of WORLD_SIZE = "
              + w
              + " (each rank takes n / W)");
    }
    int per = n / w;
    return new int[] {rank() * per, (rank() + 1) * per};
  }

  /** The seed this rank uses where a single process uses {@code stepSeed}. */
  static long rankSeed(long stepSeed, int rank, int worldSize) {
    return worldSize == 1 ? stepSeed : Seeds.derive(stepSeed, Seeds.RANK, rank);
  }

  /**
   * The held-out report of all ranks from each rank's report on its slice (rank r evaluates
   * problems r, r + W, …): counts and sums are added, rates recomputed. The returned report holds
   * this rank's samples only.
   */
  EvalReport combine(EvalReport local) {
    if (worldSize() == 1) return local;
    EvalScores mine = local.scores();
    int n = local.samples().size();
    double tokens = mine.meanLength() * n;
    EvalSums s =
        sum(
            new EvalSums(
                n,
                mine.successRate() * n,
                mine.rewardPerPrompt() * n,
                mine.rewardPerToken() * tokens,
                tokens,
                mine.prompts()));
    double all = Math.max(1, s.samples());
    EvalScores scores =
        new EvalScores(
            (int) s.prompts(),
            mine.samplesPerPrompt(),
            s.successes() / all,
            s.rewards() / all,
            s.tokens() == 0 ? 0 : s.tokenRewards() / s.tokens(),
            s.tokens() / all);
    return new EvalReport(scores, local.samples());
  }

  /** A held-out report's counts and sums, as summed over ranks. */
  private record EvalSums(
      double samples,
      double successes,
      double rewards,
      double tokenRewards,
      double tokens,
      double prompts) {}
}
