package io.grpo4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpo4j.config.ConfigLoader;
import io.grpo4j.config.RunConfig;
import io.grpo4j.dist.DistEnv;
import io.grpo4j.dist.DistGroup;
import io.grpo4j.dist.LaunchSpec;
import io.grpo4j.dist.Launcher;
import io.grpo4j.eval.ScoredSample;
import io.grpo4j.generate.Sample;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.run.Runs;
import io.grpo4j.run.Tasks;
import io.grpo4j.torch.DType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data parallel is exact: 2 ranks on loopback (rank 0 in this JVM, rank 1 in a child JVM, {@link
 * DataParallelWorker}) end {@link DataParallelWorker#STEPS} steps with the same gradients and
 * weights as one process trained on the concatenation of both ranks' batches — for GRPO with every
 * advantage mode and for SFT.
 */
class DataParallelTest {
  private static final Path INIT = Path.of("models/countdown-tiny-sft");
  private static final long LIMIT_S = 300;

  @TempDir Path tmp;

  @Test
  void twoRanksMatchOneProcessOnTheConcatenatedBatch() throws Exception {
    int port = LaunchSpec.freePort();
    ProcessBuilder pb =
        new ProcessBuilder(
            Launcher.javaCommand(
                DataParallelWorker.class.getName(), List.of(INIT.toString(), tmp.toString())));
    pb.environment().putAll(new DistEnv(1, 2, 1, 2, "127.0.0.1", port).asEnvironment());
    Path log = tmp.resolve("rank1.log");
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    Process child = pb.start();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<Integer> rank0 =
          pool.submit(
              () -> DataParallelWorker.run(INIT, tmp, new DistEnv(0, 2, 0, 2, "127.0.0.1", port)));
      assertEquals(0, rank0.get(LIMIT_S, TimeUnit.SECONDS));
      assertTrue(child.waitFor(LIMIT_S, TimeUnit.SECONDS), "rank 1 did not finish");
      assertEquals(0, child.exitValue(), () -> read(log));
    } finally {
      pool.shutdownNow();
      child.destroyForcibly().waitFor(LIMIT_S, TimeUnit.SECONDS);
    }
    double[] w0 = initialWeights();
    for (String scenario : DataParallelWorker.SCENARIOS) {
      String name = scenario.replace(':', '-');
      double[][] r0 = DataParallelWorker.read(tmp.resolve(name + "-rank0.bin"));
      double[][] r1 = DataParallelWorker.read(tmp.resolve(name + "-rank1.bin"));
      double[][] ref = reference(scenario);
      // the ranks apply the same summed gradient: identical weights
      assertEquals(0, maxAbsDiff(r0[0], r1[0]), scenario + ": ranks' weights differ");
      double moved = maxAbsDiff(ref[0], w0);
      double gradScale = maxAbs(ref[1]);
      assertTrue(moved > 1e-4, scenario + ": the reference weights barely moved: " + moved);
      assertTrue(gradScale > 1e-6, scenario + ": the reference gradient is zero");
      double dg = maxAbsDiff(r0[1], ref[1]);
      assertTrue(
          dg <= 1e-4 * gradScale,
          scenario + ": gradients differ by " + dg + " (max |g| " + gradScale + ")");
      // AdamW's first step moves each weight by lr·g/(|g| + 1e-8): where |g| is near 1e-8 the
      // summation-order noise of the gradients decides it; elsewhere the weights must agree.
      double dw = 0;
      int conditioned = 0;
      for (int i = 0; i < ref[0].length; i++) {
        if (Math.abs(ref[1][i]) < 1e-5) continue;
        conditioned++;
        dw = Math.max(dw, Math.abs(r0[0][i] - ref[0][i]));
      }
      assertTrue(conditioned > ref[0].length / 10, scenario + ": few well-conditioned weights");
      assertTrue(
          dw <= 1e-3 * moved, scenario + ": weights differ by " + dw + " (moved " + moved + ")");
    }
  }

  @Test
  void distributedSectionParsesAndNamesBadValues() throws Exception {
    RunConfig.Distributed d =
        Runs.config(null, List.of("distributed.backend=Gloo", "distributed.timeout_s=5"))
            .distributed();
    assertEquals(io.grpo4j.dist.BackendKind.GLOO, d.backend());
    assertEquals(5, d.timeoutS());
    assertEquals(300, d.initTimeoutS());
    assertTrue(ConfigLoader.toYaml(RunConfig.defaults()).contains("backend: auto"));
    var e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () -> Runs.config(null, List.of("distributed.backend=mpi")));
    assertTrue(
        e.getMessage().contains("distributed.backend must be auto, gloo or nccl"), e.getMessage());
    e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () -> Runs.config(null, List.of("distributed.bucket_mb=0")));
    assertTrue(e.getMessage().contains("distributed.bucket_mb must be > 0"), e.getMessage());
  }

  @Test
  void promptsMustSplitEvenlyOverRanks() {
    var dp = new DataParallel(DistGroup.single(), List.of(), 1);
    assertEquals(List.of(0, 6), java.util.Arrays.stream(dp.share(6, "x")).boxed().toList());
    // rank 1 of 2 (collectives unused here)
    DistGroup rank1 =
        new DistGroup() {
          public io.grpo4j.dist.DistEnv env() {
            return new io.grpo4j.dist.DistEnv(1, 2, 1, 2, "127.0.0.1", 29500);
          }

          public void allReduceSum(Tensor t) {}

          public void allReduceMax(Tensor t) {}

          public void broadcast(Tensor t, int root) {}

          public void barrier() {}

          public void close() {}
        };
    var dp1 = new DataParallel(rank1, List.of(), 1);
    assertEquals(List.of(3, 6), java.util.Arrays.stream(dp1.share(6, "x")).boxed().toList());
    var e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> dp1.share(5, "data.prompts_per_step"));
    assertTrue(
        e.getMessage().contains("data.prompts_per_step = 5 must be a multiple of WORLD_SIZE = 2"));
    assertEquals(123L, DataParallel.rankSeed(123L, 0, 1));
    assertTrue(DataParallel.rankSeed(123L, 0, 2) != DataParallel.rankSeed(123L, 1, 2));
  }

  /** One process, the concatenated batch: shard 0's rollouts followed by shard 1's. */
  private double[][] reference(String scenario) throws Exception {
    RunConfig cfg = DataParallelWorker.config(scenario, INIT);
    io.grpo4j.torch.Torch.init(1, cfg.seed());
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    try (ModelFolder folder = ModelFolder.open(INIT)) {
      RunSetup<?> setup =
          RunSetup.of(
              cfg, tmp.resolve("ref-" + scenario.replace(':', '-')), Tasks.create(cfg), folder);
      Qwen2Model policy = folder.loadModel(DType.F32, new Device("cpu"));
      List<Tensor> params = new ArrayList<>(policy.parameters().values());
      if (scenario.equals("sft")) {
        // each rank trains on its slice of the batch one process draws: the plain step is the
        // concatenation
        SftTrainer<?> t = new SftTrainer<>(setup, policy, quiet, DistGroup.single());
        for (long s = 1; s <= DataParallelWorker.STEPS; s++) t.step(s);
      } else {
        Qwen2Model ref = folder.loadModel(DType.F32, new Device("cpu"));
        GrpoTrainer<?> t = new GrpoTrainer<>(setup, policy, ref, quiet, DistGroup.single());
        for (long s = 1; s <= DataParallelWorker.STEPS; s++) {
          t.update(s, concat(t.rollout(s, 0, 2), t.rollout(s, 1, 2)), null);
        }
      }
      return DataParallelWorker.flatten(params);
    }
  }

  /**
   * Rank 0's rollouts followed by rank 1's, as one process would hold them (rank 1's prompt indices
   * are shifted past rank 0's prompts).
   */
  private static GrpoTrainer.Rollouts concat(GrpoTrainer.Rollouts a, GrpoTrainer.Rollouts b) {
    List<ScoredSample> all = new ArrayList<>(a.scored());
    int shift = a.scored().stream().mapToInt(x -> x.sample().promptIndex() + 1).max().orElse(0);
    for (ScoredSample x : b.scored()) {
      Sample t = x.sample();
      Sample moved =
          new Sample(
              t.promptIndex() + shift,
              t.promptIds(),
              t.completionIds(),
              t.logprobs(),
              t.entropies(),
              t.finishReason());
      all.add(new ScoredSample(moved, x.text(), x.tokenRewards(), x.outcome()));
    }
    return new GrpoTrainer.Rollouts(
        all,
        a.promptTokens() + b.promptTokens(),
        a.completionTokens() + b.completionTokens(),
        a.seconds() + b.seconds(),
        a.failures() + b.failures(),
        a.droppedGroups() + b.droppedGroups(),
        a.firstFailure() != null ? a.firstFailure() : b.firstFailure(),
        a.fracZeroStdDrawn(),
        a.generatedTokens() + b.generatedTokens(),
        null,
        null);
  }

  private static double[] initialWeights() throws Exception {
    try (ModelFolder folder = ModelFolder.open(INIT)) {
      Qwen2Model m = folder.loadModel(DType.F32, new Device("cpu"));
      return DataParallelWorker.flatten(new ArrayList<>(m.parameters().values()))[0];
    }
  }

  private static double maxAbsDiff(double[] a, double[] b) {
    assertEquals(a.length, b.length);
    double d = 0;
    for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
    return d;
  }

  private static double maxAbs(double[] a) {
    double d = 0;
    for (double x : a) d = Math.max(d, Math.abs(x));
    return d;
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
