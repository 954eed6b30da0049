package io.grpo4j.dist;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code grpo4j launch}: a torchrun-like starter for the processes of one node. It starts {@link
 * LaunchSpec#nproc} copies of a command with RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
 * MASTER_ADDR and MASTER_PORT set, prefixes every line they print with {@code [rank R]}, and
 * supervises them:
 *
 * <ul>
 *   <li>when one exits with a non-zero status, the others get SIGTERM, then SIGKILL after the grace
 *       period, and the launcher exits with the <em>first</em> failing rank's status (128 + signal
 *       for a rank killed by a signal);
 *   <li>SIGINT / SIGTERM to the launcher is passed on the same way (a JVM shutdown hook);
 *   <li>when all exit with 0, so does the launcher.
 * </ul>
 */
public final class Launcher {
  private Launcher() {}

  /** What happened: the exit status to return, and which rank failed first (-1: none). */
  public record Outcome(int exitCode, int failedRank) {}

  /**
   * Starts the ranks of this node, waits for them, and returns the outcome. {@code command} is the
   * program each rank runs (the same for all).
   */
  public static Outcome run(LaunchSpec spec, List<String> command, PrintStream out, PrintStream err)
      throws IOException, InterruptedException {
    List<Process> procs = new ArrayList<>();
    List<Thread> pumps = new ArrayList<>();
    Thread hook = new Thread(() -> terminate(procs, spec), "grpo4j-launch-teardown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      for (int i = 0; i < spec.nproc(); i++) {
        DistEnv env = spec.env(i);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env.asEnvironment());
        Process p = pb.start();
        synchronized (procs) {
          procs.add(p);
        }
        String prefix = "[rank " + env.rank() + "] ";
        pumps.add(pump(p.getInputStream(), out, prefix));
        pumps.add(pump(p.getErrorStream(), err, prefix));
        p.getOutputStream().close();
      }
      Outcome outcome = supervise(procs, spec);
      for (Thread t : pumps) t.join(TimeUnit.SECONDS.toMillis(5));
      if (outcome.failedRank() >= 0) {
        err.printf(
            "launch: rank %d exited with status %d; the other ranks were stopped%n",
            outcome.failedRank(), outcome.exitCode());
      }
      return outcome;
    } finally {
      terminate(procs, spec);
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running or has run
      }
    }
  }

  private static Outcome supervise(List<Process> procs, LaunchSpec spec)
      throws InterruptedException {
    while (true) {
      boolean allDone = true;
      for (int i = 0; i < procs.size(); i++) {
        Process p = procs.get(i);
        if (p.isAlive()) {
          allDone = false;
        } else if (p.exitValue() != 0) {
          int rank = spec.env(i).rank();
          int code = p.exitValue();
          terminate(procs, spec);
          return new Outcome(code, rank);
        }
      }
      if (allDone) return new Outcome(0, -1);
      Thread.sleep(50);
    }
  }

  /** SIGTERM to every live rank, SIGKILL to those still alive after the grace period. */
  private static void terminate(List<Process> procs, LaunchSpec spec) {
    List<Process> live;
    synchronized (procs) {
      live = procs.stream().filter(Process::isAlive).toList();
    }
    if (live.isEmpty()) return;
    live.forEach(Process::destroy);
    long deadline = System.nanoTime() + spec.grace().toNanos();
    for (Process p : live) {
      long left = deadline - System.nanoTime();
      try {
        if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) p.destroyForcibly();
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    for (Process p : live) {
      try {
        p.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static Thread pump(InputStream in, PrintStream to, String prefix) {
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  synchronized (to) {
                    to.println(prefix + line);
                  }
                }
              } catch (IOException e) {
                // the rank's stream closed under us: nothing more to forward
              }
            },
            "grpo4j-launch-" + prefix.trim());
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * The command that starts {@code mainClass} in a JVM like this one: the same java binary, JVM
   * options (less a debugger agent, whose port would clash) and class path.
   */
  public static List<String> javaCommand(String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-Xrunjdwp")) cmd.add(a);
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    return cmd;
  }
}
