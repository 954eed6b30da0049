package io.grpo4j.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpo4j.torch.Tensors;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two ranks on loopback ({@link DistWorker}: rank 0 in this JVM, rank 1 in a child JVM):
 * collectives, bucketed gradients and broadcast against hand-computed values, and a peer that dies,
 * hangs or never starts makes the other rank fail with a clear message within the group's timeout.
 * Every child is killed at the end.
 */
class C10dGroupTest {
  /** Far above what any scenario needs; only a hang would reach it. */
  private static final long LIMIT_S = 120;

  @TempDir Path tmp;

  /** What one rank printed and its exit status. */
  record Ran(int status, String output) {
    double[] result(String name) {
      for (String line : output.split("\n")) {
        String[] f = line.trim().split(" ");
        if (f.length >= 2 && f[0].equals("RESULT") && f[1].equals(name)) {
          return Arrays.stream(f, 2, f.length).mapToDouble(Double::parseDouble).toArray();
        }
      }
      throw new AssertionError("no RESULT " + name + " in:\n" + output);
    }

    String line(String prefix) {
      for (String line : output.split("\n")) if (line.startsWith(prefix)) return line;
      throw new AssertionError("no line '" + prefix + "...' in:\n" + output);
    }
  }

  /**
   * Runs {@code scenario} with rank 0 in this JVM and rank 1 (unless {@code peer} is false) in a
   * child JVM, which is killed at the end; {@code waitForPeer}: wait for the child to exit first.
   */
  private Ran[] run(String scenario, long joinMs, long timeoutMs, boolean peer, boolean waitForPeer)
      throws Exception {
    int port = LaunchSpec.freePort();
    Process child = null;
    Path log = tmp.resolve(scenario + "-rank1.log");
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      if (peer) {
        ProcessBuilder pb =
            new ProcessBuilder(
                Launcher.javaCommand(
                    DistWorker.class.getName(),
                    List.of(scenario, Long.toString(joinMs), Long.toString(timeoutMs))));
        pb.environment().putAll(new DistEnv(1, 2, 1, 2, "127.0.0.1", port).asEnvironment());
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        child = pb.start();
      }
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
      DistEnv env0 = new DistEnv(0, 2, 0, 2, "127.0.0.1", port);
      Future<Integer> rank0 =
          pool.submit(() -> DistWorker.run(scenario, env0, joinMs, timeoutMs, out));
      int status0 = rank0.get(LIMIT_S, TimeUnit.SECONDS);
      Ran r0 = new Ran(status0, bytes.toString(StandardCharsets.UTF_8));
      if (!peer) return new Ran[] {r0};
      Ran r1;
      if (waitForPeer) {
        assertTrue(child.waitFor(LIMIT_S, TimeUnit.SECONDS), "rank 1 did not exit: " + log);
        r1 = new Ran(child.exitValue(), Files.readString(log));
      } else {
        r1 = new Ran(child.isAlive() ? -1 : child.exitValue(), Files.readString(log));
      }
      return new Ran[] {r0, r1};
    } finally {
      pool.shutdownNow();
      if (child != null) child.destroyForcibly().waitFor(LIMIT_S, TimeUnit.SECONDS);
    }
  }

  @Test
  void collectivesBucketsAndBroadcastMatchHandComputedValues() throws Exception {
    Ran[] ranks = run("collectives", 100_000, 60_000, true, true);
    List<double[]> params = new ArrayList<>();
    for (var p : DistWorker.params()) params.add(Tensors.toDoubles(p));
    for (Ran r : ranks) {
      assertEquals(0, r.status(), r.output());
      assertArrayEquals(new double[] {3, 30}, r.result("sum"));
      assertArrayEquals(new double[] {1, 0}, r.result("max"));
      assertArrayEquals(new double[] {6, 7}, r.result("broadcast")); // rank 1's values
      assertArrayEquals(new double[] {0.5 + 1.5, 1e12}, r.result("scalars"));
      assertTrue(r.line("RESULT mismatch").contains("ranks disagree on the test value"));
      assertTrue(r.result("buckets")[0] >= 3);
      // grad_r(p) = 2 c_r^2 p with c_0 = 1, c_1 = 2: the sum is 10 p; the last parameter only
      // has rank 0's 2 p.
      for (int k = 0; k < params.size(); k++) {
        double factor = k == params.size() - 1 ? 2 : 10;
        double[] want = Arrays.stream(params.get(k)).map(x -> factor * x).toArray();
        assertArrayEquals(want, r.result("grad" + k), 1e-5, "grad" + k);
      }
      for (int k = 0; k < 3; k++) {
        double[] want = new double[k + 2];
        Arrays.fill(want, k); // rank 0 holds 10·0 + k
        assertArrayEquals(want, r.result("weight" + k), "weight" + k);
      }
    }
  }

  @Test
  void aDeadPeerFailsTheCollectiveWithAClearError() throws Exception {
    Ran[] ranks = run("die", 100_000, 30_000, true, true);
    assertEquals(3, ranks[1].status(), ranks[1].output());
    assertEquals(2, ranks[0].status(), ranks[0].output());
    String failed = ranks[0].line("FAILED");
    assertTrue(failed.contains("rank 0 of 2: all-reduce (sum) failed"), failed);
  }

  @Test
  void aHungPeerFailsTheCollectiveAfterTheTimeout() throws Exception {
    Ran[] ranks = run("hang", 100_000, 4_000, true, false);
    assertEquals(2, ranks[0].status(), ranks[0].output());
    String failed = ranks[0].line("FAILED");
    assertTrue(failed.contains("all-reduce (sum) failed"), failed);
    assertTrue(failed.contains("4 s timeout"), failed);
    assertEquals(-1, ranks[1].status(), "the hung rank was still sleeping");
  }

  @Test
  void aPeerThatNeverStartsFailsTheRendezvous() throws Exception {
    Ran rank0 = run("collectives", 3_000, 3_000, false, false)[0];
    assertEquals(2, rank0.status(), rank0.output());
    String failed = rank0.line("FAILED");
    assertTrue(failed.contains("rank 0 of 2: creating the Gloo process group"), failed);
    assertTrue(failed.contains("3 s timeout"), failed);
  }

  @Test
  void environmentIsReadAsTorchrunSetsIt() {
    Map<String, String> env = new HashMap<>();
    assertEquals(DistEnv.single(), DistEnv.parse(env));
    env.put("RANK", "3");
    env.put("WORLD_SIZE", "4");
    env.put("LOCAL_RANK", "1");
    env.put("LOCAL_WORLD_SIZE", "2");
    env.put("MASTER_ADDR", "node0");
    env.put("MASTER_PORT", "29500");
    assertEquals(new DistEnv(3, 4, 1, 2, "node0", 29500), DistEnv.parse(env));
    assertEquals(env, DistEnv.parse(env).asEnvironment());
    // PyTorchJob sets no LOCAL_*: one process per pod
    Map<String, String> job = new HashMap<>(env);
    job.remove("LOCAL_RANK");
    job.remove("LOCAL_WORLD_SIZE");
    assertEquals(new DistEnv(3, 4, 0, 1, "node0", 29500), DistEnv.parse(job));
  }

  @Test
  void badEnvironmentNamesTheVariable() {
    Map<String, String> ok =
        Map.of("RANK", "1", "WORLD_SIZE", "2", "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", "29500");
    assertBad(without(ok, "WORLD_SIZE"), "WORLD_SIZE is not");
    assertBad(without(ok, "RANK"), "RANK is not");
    assertBad(without(ok, "MASTER_ADDR"), "MASTER_ADDR is not set");
    assertBad(without(ok, "MASTER_PORT"), "MASTER_PORT is not set");
    assertBad(with(ok, "RANK", "2"), "RANK must be in [0, WORLD_SIZE=2)");
    assertBad(with(ok, "RANK", "x"), "RANK must be an integer");
    assertBad(with(ok, "MASTER_PORT", "70000"), "MASTER_PORT must be in 1..65535");
    assertBad(with(ok, "LOCAL_RANK", "1"), "LOCAL_RANK must be in [0, LOCAL_WORLD_SIZE=1)");
    assertBad(with(ok, "LOCAL_WORLD_SIZE", "3"), "LOCAL_WORLD_SIZE must be in [1, WORLD_SIZE=2]");
  }

  @Test
  void backendFollowsTheDevice() {
    assertEquals(BackendKind.GLOO, BackendKind.AUTO.resolve("cpu"));
    assertEquals(BackendKind.NCCL, BackendKind.AUTO.resolve("cuda:1"));
    assertEquals(BackendKind.GLOO, BackendKind.parse("Gloo").resolve("cuda"));
    var e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> BackendKind.NCCL.resolve("cpu"));
    assertTrue(e.getMessage().contains("needs a CUDA device"));
    e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> BackendKind.parse("mpi"));
    assertTrue(e.getMessage().contains("distributed.backend must be auto, gloo or nccl"));
  }

  @Test
  void ncclIsRefusedClearlyWhereTheNativesLackIt() {
    org.junit.jupiter.api.Assumptions.assumeFalse(
        org.bytedeco.pytorch.global.torch.cuda_is_available(), "CUDA natives present");
    var e =
        org.junit.jupiter.api.Assertions.assertThrows(
            DistException.class,
            () ->
                C10dGroup.join(
                    new DistEnv(0, 2, 0, 2, "127.0.0.1", LaunchSpec.freePort()),
                    BackendKind.NCCL,
                    Duration.ofSeconds(1),
                    Duration.ofSeconds(1)));
    assertTrue(e.getMessage().contains("not in these libtorch natives"), e.getMessage());
  }

  @Test
  void millisecondsCarryTheirCount() {
    assertEquals(1234, new org.bytedeco.javacpp.chrono.Milliseconds(1234).count());
  }

  private static void assertBad(Map<String, String> env, String message) {
    var e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> DistEnv.parse(env));
    assertTrue(e.getMessage().contains(message), e.getMessage() + " should contain " + message);
  }

  private static Map<String, String> without(Map<String, String> m, String key) {
    Map<String, String> c = new HashMap<>(m);
    c.remove(key);
    return c;
  }

  private static Map<String, String> with(Map<String, String> m, String key, String value) {
    Map<String, String> c = new HashMap<>(m);
    c.put(key, value);
    return c;
  }
}
