package io.grpo4j.torch;

import java.io.BufferedReader;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Crash logs ({@code hs_err_pid*.log}) that earlier grpo4j JVMs left behind. The launcher and the
 * test JVMs write them to the temp folder ({@code -XX:ErrorFile=${TMPDIR:-/tmp}/
 * grpo4j-hs_err_pid%p.log}), not the working directory; older ones may still sit in the working
 * directory. {@code doctor} reports the newest ({@link Diagnosis}).
 */
public final class CrashLogs {
  private CrashLogs() {}

  /** The file name JVMs started by grpo4j give their crash log ({@code %p}: the process id). */
  static final String PREFIX = "grpo4j-hs_err_pid";

  /**
   * One crash log.
   *
   * @param frame the log's "Problematic frame" line, e.g. {@code C [libc.so.6+0x8c370]
   *     pthread_mutex_lock+0x0}, or null
   * @param signal e.g. {@code SIGSEGV (0xb) at pc=…}, or null
   * @param command the crashed JVM's main class and arguments, or null
   */
  public record Log(Path path, Instant time, String signal, String frame, String command) {}

  /**
   * The crash logs in the folder of this JVM's {@code -XX:ErrorFile}, the temp folders and the
   * working directory, newest first. Files named {@code grpo4j-hs_err_pid*} count wherever they
   * are; plain {@code hs_err_pid*.log} files only when they came from a grpo4j JVM (their command
   * line names {@code io.grpo4j}), since other Java programs share the temp folder.
   */
  public static List<Log> find() {
    Set<Path> folders = new LinkedHashSet<>();
    String errorFile = errorFileOption();
    if (errorFile != null && !errorFile.isBlank()) {
      Path parent = Path.of(errorFile).toAbsolutePath().getParent();
      if (parent != null) folders.add(parent);
    }
    String tmpdir = System.getenv("TMPDIR");
    if (tmpdir != null && !tmpdir.isBlank()) folders.add(Path.of(tmpdir).toAbsolutePath());
    folders.add(Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath());
    folders.add(Path.of("").toAbsolutePath());
    return find(folders);
  }

  static List<Log> find(Iterable<Path> folders) {
    String self = "pid" + ProcessHandle.current().pid() + ".log";
    Set<Path> seen = new LinkedHashSet<>();
    List<Log> out = new ArrayList<>();
    for (Path dir : folders) {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.toList()) {
          String name = f.getFileName().toString();
          if (!name.contains("hs_err_pid") || !name.endsWith(".log") || name.endsWith(self)) {
            continue;
          }
          if (!Files.isRegularFile(f) || !seen.add(f.toAbsolutePath().normalize())) continue;
          Log log = read(f);
          if (log == null) continue;
          boolean ours =
              name.startsWith(PREFIX)
                  || (log.command() != null && log.command().contains("io.grpo4j"));
          if (ours) out.add(log);
        }
      } catch (IOException | RuntimeException e) {
        // a folder we cannot list holds nothing we can report
      }
    }
    out.sort(Comparator.comparing(Log::time).reversed());
    return out;
  }

  /** Reads a crash log's signal, problematic frame and command line; null when unreadable. */
  static Log read(Path f) {
    String signal = null;
    String frame = null;
    String command = null;
    try (BufferedReader r = Files.newBufferedReader(f, StandardCharsets.ISO_8859_1)) {
      String prev = "";
      for (String l = r.readLine(); l != null; l = r.readLine()) {
        if (signal == null && (l.startsWith("#  SIG") || l.startsWith("#  EXCEPTION"))) {
          signal = l.substring(3).strip();
        }
        if (frame == null && prev.startsWith("# Problematic frame:")) {
          frame = l.replaceFirst("^#\\s*", "").strip();
        }
        if (command == null && l.startsWith("java_command:")) {
          command = l.substring("java_command:".length()).strip();
          break; // after the header: all three are known
        }
        prev = l;
      }
      return new Log(f, Files.getLastModifiedTime(f).toInstant(), signal, frame, command);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** This JVM's {@code -XX:ErrorFile}, or null when not set. */
  static String errorFileOption() {
    try {
      var bean =
          ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      String v = bean.getVMOption("ErrorFile").getValue();
      return v == null || v.isBlank() ? null : v;
    } catch (RuntimeException | LinkageError e) {
      return null;
    }
  }
}
