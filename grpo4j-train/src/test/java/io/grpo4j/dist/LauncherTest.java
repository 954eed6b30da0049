package io.grpo4j.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Launcher} with {@link LaunchProbe} ranks: variables, prefixes, teardown, exit status. */
class LauncherTest {
  private static final List<String> JVM = List.of("-Xmx64m", "-Xshare:auto");

  private static List<String> probe(String mode) {
    // the probe needs no libtorch: a small JVM on the test class path
    List<String> cmd = new java.util.ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(JVM);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(LaunchProbe.class.getName());
    cmd.add(mode);
    return cmd;
  }

  @Test
  void everyRankGetsTorchrunVariablesAndPrefixedOutput() throws Exception {
    var spec = new LaunchSpec(2, 3, 1, "10.0.0.1", 29500, Duration.ofSeconds(5));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    var outcome = Launcher.run(spec, probe("ok"), print(out), print(err));
    assertEquals(new Launcher.Outcome(0, -1), outcome);
    String o = out.toString(StandardCharsets.UTF_8);
    // node 1 of 3 with 2 processes each: global ranks 2 and 3 of 6
    assertTrue(
        o.contains(
            "[rank 2] env {RANK=2, WORLD_SIZE=6, LOCAL_RANK=0, LOCAL_WORLD_SIZE=2,"
                + " MASTER_ADDR=10.0.0.1, MASTER_PORT=29500}"),
        o);
    assertTrue(o.contains("[rank 3] env {RANK=3, WORLD_SIZE=6, LOCAL_RANK=1,"), o);
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.contains("[rank 2] to stderr 2") && e.contains("[rank 3] to stderr 3"), e);
  }

  @Test
  void oneFailingRankStopsTheOthersAndGivesItsStatus() throws Exception {
    var spec = new LaunchSpec(3, 1, 0, "127.0.0.1", 29500, Duration.ofSeconds(5));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    var outcome =
        Launcher.run(spec, probe("fail1"), print(new ByteArrayOutputStream()), print(err));
    // ranks 0 and 2 were sleeping for 5 minutes: run() returns only once they are gone
    assertEquals(new Launcher.Outcome(7, 1), outcome);
    assertTrue(
        err.toString(StandardCharsets.UTF_8).contains("rank 1 exited with status 7"),
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void specValidatesItsNumbers() {
    assertEquals(29501, LaunchSpec.of(2, 2, 1, "node0:29501", Duration.ZERO).masterPort());
    assertEquals(3, LaunchSpec.of(2, 2, 1, "node0:29501", Duration.ZERO).env(1).rank());
    assertTrue(LaunchSpec.of(2, 1, 0, null, Duration.ZERO).masterPort() > 0);
    assertBad(() -> LaunchSpec.of(2, 2, 0, null, Duration.ZERO), "--master ADDR:PORT is required");
    assertBad(() -> LaunchSpec.of(0, 1, 0, null, Duration.ZERO), "--nproc must be >= 1");
    assertBad(() -> LaunchSpec.of(1, 2, 2, "h:1", Duration.ZERO), "--node-rank must be in [0");
    assertBad(() -> LaunchSpec.of(1, 1, 0, "h", Duration.ZERO), "--master must be ADDR:PORT");
    assertBad(() -> LaunchSpec.of(1, 1, 0, "h:x", Duration.ZERO), "is not a number");
    assertBad(() -> LaunchSpec.of(1, 1, 0, "h:0", Duration.ZERO), "port must be in 1..65535");
  }

  private static void assertBad(org.junit.jupiter.api.function.Executable x, String message) {
    var e = assertThrows(IllegalArgumentException.class, x);
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  private static PrintStream print(ByteArrayOutputStream b) {
    return new PrintStream(b, true, StandardCharsets.UTF_8);
  }
}
