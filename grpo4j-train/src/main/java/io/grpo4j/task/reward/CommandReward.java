package io.grpo4j.task.reward;

import io.grpo4j.task.ProgramLines;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rewards from a long-lived program in any language, speaking JSON Lines (see {@link
 * RewardProtocol}): grpo4j writes one request object per line to its stdin and reads one response
 * object per line from its stdout, matched by {@code id} in any order. The program is started once
 * (through {@code /bin/sh -c}, in {@code workDir}) and serves every batch of the run.
 *
 * <ul>
 *   <li>{@code concurrency} copies run in parallel; a batch is dealt to them round-robin.
 *   <li>A copy with requests outstanding must answer one of them at least every {@code timeout};
 *       otherwise it is killed, its outstanding requests fail, and the next batch starts it again.
 *   <li>A copy that exits (crash, {@code sys.exit}) fails its outstanding requests and is restarted
 *       for the next batch.
 *   <li>A stdout line that is not a response object is a protocol violation: the copy is restarted
 *       and its outstanding requests fail (print debugging output to stderr instead). A response
 *       with an unknown or repeated id is logged and ignored.
 *   <li>Every stderr line is forwarded to the log ({@code io.grpo4j.task.reward.CommandReward},
 *       INFO) and the last {@value #STDERR_TAIL} are kept for error messages ({@link
 *       #diagnostics}).
 * </ul>
 */
public final class CommandReward implements RewardSource {
  /** How many of the program's last stderr lines {@link #diagnostics} keeps. */
  public static final int STDERR_TAIL = 20;

  private static final Logger LOG = LoggerFactory.getLogger(CommandReward.class);
  private static final String EOF = new String("<eof>");

  private final String command;
  private final Path workDir;
  private final Duration timeout;
  private final List<Program> programs = new ArrayList<>();
  private final Deque<String> stderrTail = new ArrayDeque<>();

  /**
   * Drivers and stdin writers, on platform daemon threads: blocking pipe I/O on virtual threads can
   * hold every carrier of a 2-core machine (the environment client went silent for whole steps that
   * way), and a daemon never keeps the JVM alive.
   */
  private final ExecutorService pool =
      Executors.newCachedThreadPool(Thread.ofPlatform().daemon(true).name("reward-", 0).factory());

  /**
   * @param command a shell command line, e.g. {@code python3 reward.py}
   * @param concurrency copies of the program run in parallel (at least 1)
   * @param timeout the longest a copy may stay silent while it has requests outstanding
   * @param workDir the working directory of the program (null: the current directory)
   */
  public CommandReward(String command, int concurrency, Duration timeout, Path workDir) {
    if (command == null || command.isBlank()) {
      throw new IllegalArgumentException("reward source 'command' needs a non-empty 'command'");
    }
    if (concurrency < 1) {
      throw new IllegalArgumentException("reward.concurrency must be >= 1, got " + concurrency);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("reward.timeout_s must be > 0, got " + timeout);
    }
    this.command = command;
    this.workDir = workDir;
    this.timeout = timeout;
    for (int i = 0; i < concurrency; i++) programs.add(new Program(i));
  }

  @Override
  public List<Judgement> judge(List<RewardRequest> batch) {
    int k = Math.min(programs.size(), batch.size());
    List<List<RewardRequest>> parts = new ArrayList<>();
    for (int p = 0; p < k; p++) parts.add(new ArrayList<>());
    for (int i = 0; i < batch.size(); i++) parts.get(i % k).add(batch.get(i));
    List<Future<List<Judgement>>> futures = new ArrayList<>();
    for (int p = 0; p < k; p++) {
      Program program = programs.get(p);
      List<RewardRequest> part = parts.get(p);
      futures.add(pool.submit(() -> program.judge(part)));
    }
    Judgement[] out = new Judgement[batch.size()];
    for (int p = 0; p < k; p++) {
      List<Judgement> got;
      try {
        got = futures.get(p).get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the reward program", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("reward program driver failed: " + e.getCause(), e);
      }
      for (int j = 0; j < got.size(); j++) out[p + j * k] = got.get(j);
    }
    return List.of(out);
  }

  @Override
  public List<String> diagnostics() {
    synchronized (stderrTail) {
      return List.copyOf(stderrTail);
    }
  }

  @Override
  public void close() {
    for (Program p : programs) p.stop();
    pool.shutdownNow();
  }

  private void stderrLine(int copy, String line) {
    LOG.info("reward program #{}: {}", copy, line);
    synchronized (stderrTail) {
      if (stderrTail.size() == STDERR_TAIL) stderrTail.removeFirst();
      stderrTail.addLast(line);
    }
  }

  /** One running copy of the program, restarted when it dies. */
  private final class Program {
    private final int copy;
    private Process process;
    private Writer stdin;
    private BlockingQueue<String> stdout;
    private int starts;

    Program(int copy) {
      this.copy = copy;
    }

    synchronized List<Judgement> judge(List<RewardRequest> part) {
      if (part.isEmpty()) return List.of();
      if (process == null || !process.isAlive()) {
        try {
          start();
        } catch (IOException e) {
          String why = "cannot start reward program '" + command + "': " + e.getMessage();
          return part.stream().map(r -> Judgement.failure(why)).toList();
        }
      }
      Set<String> outstanding = new HashSet<>();
      for (RewardRequest r : part) outstanding.add(r.id());
      Writer in = stdin;
      Future<?> writer =
          pool.submit(
              () -> {
                try {
                  for (RewardRequest r : part) {
                    in.write(RewardProtocol.requestLine(r));
                    in.write('\n');
                  }
                  in.flush();
                } catch (IOException e) {
                  // The program closed stdin or died; the reader sees the exit.
                }
                return null;
              });
      List<RewardProtocol.Response> responses = new ArrayList<>();
      String failure = null;
      long deadline = System.nanoTime() + timeout.toNanos();
      try {
        while (!outstanding.isEmpty()) {
          String line = stdout.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
          if (line == null) {
            failure =
                "reward program timed out: no response within "
                    + timeout.toMillis() / 1000.0
                    + " s (reward.timeout_s)";
            LOG.warn("{} '{}'; killing it, {} requests fail", failure, command, outstanding.size());
            kill();
            break;
          }
          if (line == EOF) {
            failure = "reward program exited with code " + exitCode();
            LOG.warn("{} ('{}'); it restarts for the next batch", failure, command);
            kill();
            break;
          }
          if (line.isBlank()) continue;
          RewardProtocol.Response r;
          try {
            r = RewardProtocol.parseLine(line);
          } catch (IllegalArgumentException e) {
            failure = "malformed reward program output: " + e.getMessage();
            LOG.warn("{}; restarting '{}' (write debug output to stderr)", failure, command);
            kill();
            break;
          }
          if (!outstanding.remove(r.id())) {
            LOG.warn("reward program sent a response for unknown or answered id '{}'", r.id());
            continue;
          }
          responses.add(r);
          deadline = System.nanoTime() + timeout.toNanos();
        }
      } catch (InterruptedException e) {
        kill();
        Thread.currentThread().interrupt();
        failure = "interrupted";
      }
      writer.cancel(true);
      String missing = failure != null ? failure : "no response";
      return RewardProtocol.match(part, responses, missing, s -> {});
    }

    private void start() throws IOException {
      ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command);
      if (workDir != null) pb.directory(workDir.toFile());
      if (starts > 0) LOG.warn("restarting reward program '{}' (start #{})", command, starts + 1);
      starts++;
      Process p = pb.start();
      BlockingQueue<String> lines = new LinkedBlockingQueue<>();
      ProgramLines.read(
          "reward-stdout-" + copy, p.getInputStream(), lines::add, () -> lines.add(EOF));
      ProgramLines.read(
          "reward-stderr-" + copy, p.getErrorStream(), l -> stderrLine(copy, l), () -> {});
      process = p;
      stdin = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
      stdout = lines;
    }

    private String exitCode() {
      try {
        if (process.waitFor(2, TimeUnit.SECONDS)) return Integer.toString(process.exitValue());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "unknown (still running after its stdout closed)";
    }

    private void kill() {
      if (process == null) return;
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      try {
        process.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }

    /** Closes stdin (a well-behaved program exits on end of input), then kills what is left. */
    synchronized void stop() {
      if (process == null) return;
      try {
        stdin.close();
        process.waitFor(2, TimeUnit.SECONDS);
      } catch (IOException e) {
        // already gone
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      kill();
    }
  }
}
