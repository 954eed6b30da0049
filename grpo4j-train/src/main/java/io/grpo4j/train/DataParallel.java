package io.grpo4j.train;

import io.grpo4j.dist.DistGroup;
import io.grpo4j.dist.GradientBuckets;
import io.grpo4j.eval.EvalReport;
import io.grpo4j.eval.EvalScores;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * What the trainers need from data parallelism (docs/distributed.md), over one {@link DistGroup}:
 *
 * <ul>
 *   <li>the step's P prompts are drawn as in a single process; rank r takes the slice {@code
 *       [r·P/W, (r+1)·P/W)}, whole groups, and samples it with a rollout seed derived from (seed,
 *       step, r);
 *   <li>losses are divided by global counts ({@link #global}), gradients summed over ranks in
 *       buckets ({@link #allReduceGradients}), so W ranks make the update of one process on the
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

  /** Sums over ranks (in place). */
  double[] global(double... localSums) {
    return group.sum(localSums);
  }

  /** Maxima over ranks. */
  double[] max(double... local) {
    return group.max(local);
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
    double[] s =
        global(
            n,
            mine.successRate() * n,
            mine.rewardPerPrompt() * n,
            mine.rewardPerToken() * tokens,
            tokens,
            mine.prompts());
    double all = Math.max(1, s[0]);
    EvalScores scores =
        new EvalScores(
            (int) s[5],
            mine.samplesPerPrompt(),
            s[1] / all,
            s[2] / all,
            s[4] == 0 ? 0 : s[3] / s[4],
            s[4] / all);
    return new EvalReport(scores, local.samples());
  }
}
