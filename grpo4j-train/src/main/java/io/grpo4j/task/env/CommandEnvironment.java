package io.grpo4j.task.env;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An environment that is a long-lived program in any language, speaking JSON Lines ({@link
 * EnvProtocol}): grpo4j writes one request object per line to its stdin and reads one reply object
 * per line from its stdout, matched by {@code id} in any order. The program is started once
 * (through {@code /bin/sh -c}, in {@code workDir}) and serves every episode of the run.
 *
 * <ul>
 *   <li>{@code concurrency} copies run in parallel; each request goes to the copy with the fewest
 *       requests outstanding, and requests are pipelined (a copy may hold several at once).
 *   <li>A copy with requests outstanding must answer one of them at least every {@code timeout};
 *       otherwise it is killed, its outstanding requests fail, and the next request starts it
 *       again.
 *   <li>A copy that exits fails its outstanding requests and is restarted by the next request.
 *   <li>A stdout line that is not a reply object is a protocol violation: the copy is killed (and
 *       restarted by the next request) and its outstanding requests fail (write debugging output to
 *       stderr instead). A reply with an unknown id is logged and ignored.
 *   <li>Every stderr line is forwarded to the log ({@code io.grpo4j.task.env.CommandEnvironment},
 *       INFO) and the last {@value #STDERR_TAIL} are kept for error messages ({@link
 *       #diagnostics}).
 * </ul>
 *
 * Nothing here blocks the caller: requests are written by a thread of each copy, replies are read
 * by another, and a watchdog enforces the timeout.
 */
public final class CommandEnvironment implements EnvironmentClient {
  /** How many of the program's last stderr lines {@link #diagnostics} keeps. */
  public static final int STDERR_TAIL = 20;

  private static final Logger LOG = LoggerFactory.getLogger(CommandEnvironment.class);

  private final String command;
  private final Path workDir;
  private final Duration timeout;
  private final List<Copy> copies = new ArrayList<>();
  private final Deque<String> stderrTail = new ArrayDeque<>();
  private final ScheduledExecutorService watchdog;
  private volatile boolean closed;

  /**
   * @param command a shell command line, e.g. {@code python3 env.py}
   * @param concurrency copies of the program run in parallel (at least 1)
   * @param timeout the longest a copy may stay silent while it has requests outstanding
   * @param workDir the working directory of the program (null: the current directory)
   */
  public CommandEnvironment(String command, int concurrency, Duration timeout, Path workDir) {
    if (command == null || command.isBlank()) {
      throw new IllegalArgumentException("env.command must be a non-empty shell command");
    }
    if (concurrency < 1) {
      throw new IllegalArgumentException("env.concurrency must be >= 1, got " + concurrency);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("env.timeout_s must be > 0, got " + timeout);
    }
    this.command = command;
    this.workDir = workDir;
    this.timeout = timeout;
    for (int i = 0; i < concurrency; i++) copies.add(new Copy(i));
    this.watchdog =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "grpo4j-env-watchdog");
              t.setDaemon(true);
              return t;
            });
    long every = Math.max(10, Math.min(250, timeout.toMillis() / 10));
    watchdog.scheduleWithFixedDelay(this::checkTimeouts, every, every, TimeUnit.MILLISECONDS);
  }

  @Override
  public CompletableFuture<EnvReply> step(EnvRequest request) {
    if (closed) return CompletableFuture.completedFuture(EnvReply.failure("environment closed"));
    Copy least = copies.get(0);
    for (Copy c : copies) if (c.load() < least.load()) least = c;
    return least.send(request);
  }

  @Override
  public List<String> diagnostics() {
    synchronized (stderrTail) {
      return List.copyOf(stderrTail);
    }
  }

  @Override
  public void close() {
    closed = true;
    watchdog.shutdownNow();
    for (Copy c : copies) c.stop();
  }

  private void checkTimeouts() {
    long now = System.nanoTime();
    for (Copy c : copies) c.checkTimeout(now);
  }

  private void stderrLine(int copy, String line) {
    LOG.info("environment #{}: {}", copy, line);
    synchronized (stderrTail) {
      if (stderrTail.size() == STDERR_TAIL) stderrTail.removeFirst();
      stderrTail.addLast(line);
    }
  }

  /** One copy of the program; {@link Run} is one start of it. */
  private final class Copy {
    private final int index;
    private Run run; // guarded by this
    private int starts; // guarded by this

    Copy(int index) {
      this.index = index;
    }

    synchronized int load() {
      return run == null ? 0 : run.outstanding.size();
    }

    synchronized CompletableFuture<EnvReply> send(EnvRequest request) {
      CompletableFuture<EnvReply> f = new CompletableFuture<>();
      if (run == null) {
        try {
          run = start();
        } catch (IOException e) {
          f.complete(
              EnvReply.failure("cannot start environment '" + command + "': " + e.getMessage()));
          return f;
        }
      }
      if (run.outstanding.containsKey(request.id())) {
        f.complete(EnvReply.failure("request id '" + request.id() + "' is already in flight"));
        return f;
      }
      if (run.outstanding.isEmpty()) run.lastHeard = System.nanoTime();
      run.outstanding.put(request.id(), f);
      run.lines.add(EnvProtocol.requestLine(request));
      return f;
    }

    private Run start() throws IOException {
      ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command);
      if (workDir != null) pb.directory(workDir.toFile());
      if (starts > 0) LOG.warn("restarting environment '{}' (start #{})", command, starts + 1);
      starts++;
      Run r = new Run(pb.start());
      r.begin();
      return r;
    }

    /** Ends {@code r} (when it is still this copy's run), failing its outstanding requests. */
    void end(Run r, String why) {
      Map<String, CompletableFuture<EnvReply>> failed;
      synchronized (this) {
        if (run == r) run = null;
        failed = new LinkedHashMap<>(r.outstanding);
        r.outstanding.clear();
      }
      r.kill();
      if (!failed.isEmpty()) {
        LOG.warn("{} ('{}'); {} requests fail", why, command, failed.size());
      }
      EnvReply failure = EnvReply.failure(why);
      for (CompletableFuture<EnvReply> f : failed.values()) f.complete(failure);
    }

    void checkTimeout(long now) {
      Run r;
      synchronized (this) {
        r = run;
        if (r == null || r.outstanding.isEmpty() || now - r.lastHeard <= timeout.toNanos()) return;
      }
      end(
          r,
          "environment timed out: no reply within "
              + timeout.toMillis() / 1000.0
              + " s (env.timeout_s); killed, it restarts for the next request");
    }

    void stop() {
      Run r;
      synchronized (this) {
        r = run;
      }
      if (r == null) return;
      r.lines.add(Run.CLOSE_STDIN);
      try {
        r.process.waitFor(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      end(r, "environment closed");
    }

    /** One running process: its writer and reader threads and its outstanding requests. */
    private final class Run {
      static final String CLOSE_STDIN = new String("<close>");
      final Process process;
      final Map<String, CompletableFuture<EnvReply>> outstanding = new LinkedHashMap<>();
      final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
      long lastHeard = System.nanoTime(); // guarded by Copy.this

      Run(Process process) {
        this.process = process;
      }

      void begin() {
        Writer in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread.ofPlatform()
            .daemon(true)
            .name("env-stdin-" + index)
            .start(
                () -> {
                  try (in) {
                    while (true) {
                      String line = lines.take();
                      if (line == CLOSE_STDIN) return;
                      in.write(line);
                      in.write('\n');
                      if (lines.isEmpty()) in.flush();
                    }
                  } catch (IOException | InterruptedException e) {
                    // the program closed stdin or died: the stdout reader sees it exit
                  }
                });
        ProgramLines.read(
            "env-stdout-" + index,
            process.getInputStream(),
            this::replyLine,
            () -> end(this, "environment exited with code " + exitCode()));
        ProgramLines.read(
            "env-stderr-" + index, process.getErrorStream(), l -> stderrLine(index, l), null);
      }

      private void replyLine(String line) {
        if (line.isBlank()) return;
        EnvProtocol.Reply reply;
        try {
          reply = EnvProtocol.parseLine(line);
        } catch (IllegalArgumentException e) {
          end(
              this,
              "malformed environment output (write debug output to stderr): " + e.getMessage());
          return;
        }
        CompletableFuture<EnvReply> f;
        synchronized (Copy.this) {
          f = outstanding.remove(reply.id());
          if (f != null) lastHeard = System.nanoTime();
        }
        if (f == null) {
          LOG.warn("environment sent a reply for unknown or answered id '{}'", reply.id());
          return;
        }
        f.complete(reply.reply());
      }

      private String exitCode() {
        try {
          if (process.waitFor(2, TimeUnit.SECONDS)) return Integer.toString(process.exitValue());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return "unknown (still running after its stdout closed)";
      }

      void kill() {
        lines.add(CLOSE_STDIN);
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    }
  }
}
