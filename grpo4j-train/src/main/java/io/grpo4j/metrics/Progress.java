package io.grpo4j.metrics;

import java.io.PrintStream;

/** One line per step on the console, with an ETA from the mean step time so far. */
public final class Progress {
  private final PrintStream out;
  private final long total;
  private final long first;
  private final long started = System.nanoTime();

  public Progress(PrintStream out, long firstStep, long totalSteps) {
    this.out = out;
    this.first = firstStep;
    this.total = totalSteps;
  }

  public void line(long step, String body) {
    double elapsed = (System.nanoTime() - started) / 1e9;
    long done = step - first + 1;
    double eta = done > 0 ? elapsed / done * (total - step) : 0;
    out.printf("step %d/%d | %s | ETA %s%n", step, total, body, duration(eta));
    out.flush();
  }

  static String duration(double seconds) {
    long s = Math.round(seconds);
    if (s >= 3600) return String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
    if (s >= 60) return String.format("%dm%02ds", s / 60, s % 60);
    return s + "s";
  }
}
