package io.grpo4j.torch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.Pointer;

/**
 * How much memory the process holds, for benchmarks and memory reports. libtorch allocates outside
 * the Java heap, so the numbers that matter are the resident set (Linux {@code /proc/self/status})
 * and JavaCPP's own accounting of native allocations.
 */
public final class NativeMemory {
  private static final Path STATUS = Path.of("/proc/self/status");
  private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

  private NativeMemory() {}

  /** Peak resident set size (VmHWM) in bytes, or -1 where /proc is not available. */
  public static long peakRssBytes() {
    return statusField("VmHWM:");
  }

  /** Current resident set size (VmRSS) in bytes, or -1 where /proc is not available. */
  public static long rssBytes() {
    return statusField("VmRSS:");
  }

  /**
   * Resets the peak resident set size to the current one (Linux: writing 5 to clear_refs), so the
   * next {@link #peakRssBytes} measures one phase only. Returns false where that is not possible.
   */
  public static boolean resetPeakRss() {
    try {
      Files.writeString(CLEAR_REFS, "5");
      return true;
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return false;
    }
  }

  /** Physical memory of the process as JavaCPP measures it (bytes). */
  public static long physicalBytes() {
    return Pointer.physicalBytes();
  }

  /** Bytes of native memory JavaCPP tracks as allocated through its pointers. */
  public static long trackedNativeBytes() {
    return Pointer.totalBytes();
  }

  private static long statusField(String name) {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith(name)) {
          String[] parts = line.substring(name.length()).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024L; // the kernel reports kB
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
