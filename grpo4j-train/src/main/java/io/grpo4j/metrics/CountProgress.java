package io.grpo4j.metrics;

import java.io.Console;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

/**
 * Progress of long work counted in items ("evaluated 37/200 problems"), readable both in a terminal
 * and in a log file. On a terminal one line is rewritten in place with {@code \r}; anywhere else
 * (output redirected to a file or a pipe) whole lines are printed, one per {@value #PERCENT_STEP} %
 * of the work or per {@value #SECONDS} s, whichever comes first, and always one for the last item.
 */
public final class CountProgress implements IntConsumer {
  /** A log line at least every this many percent of the work. */
  static final int PERCENT_STEP = 10;

  /** A log line at least this often while items complete (seconds). */
  static final int SECONDS = 10;

  private final PrintStream out;
  private final String label;
  private final String unit;
  private final int total;
  private final boolean terminal;
  private final LongSupplier nanos;
  private int lastBucket = 0;
  private long lastLine;
  private boolean rewrote;

  /**
   * @param label what was done, e.g. "evaluated"
   * @param unit what was counted, e.g. "problems"
   * @param terminal rewrite one line in place ({@link #interactive()} tells)
   * @param nanos the clock, {@code System::nanoTime} outside tests
   */
  CountProgress(
      PrintStream out, String label, String unit, int total, boolean terminal, LongSupplier nanos) {
    this.out = out;
    this.label = label;
    this.unit = unit;
    this.total = total;
    this.terminal = terminal;
    this.nanos = nanos;
    this.lastLine = nanos.getAsLong();
  }

  /** Progress on {@code out}, in place when this process writes to a terminal. */
  public static CountProgress on(PrintStream out, String label, String unit, int total) {
    return new CountProgress(out, label, unit, total, interactive(), System::nanoTime);
  }

  @Override
  public void accept(int done) {
    String text = String.format("  %s %d/%d %s", label, done, total, unit);
    if (terminal) {
      out.print("\r" + text);
      out.flush();
      rewrote = true;
      return;
    }
    int bucket = total > 0 ? (int) (100L * done / total) / PERCENT_STEP : 0;
    long now = nanos.getAsLong();
    if (done >= total || bucket > lastBucket || now - lastLine >= SECONDS * 1_000_000_000L) {
      out.printf("%s (%d%%)%n", text, total > 0 ? 100L * done / total : 100);
      out.flush();
      lastBucket = bucket;
      lastLine = now;
    }
  }

  /** Ends the in-place line on a terminal; nothing to do in a log. */
  public void finish() {
    if (rewrote) out.println();
  }

  /**
   * Whether standard output is an interactive terminal. Since JDK 22 {@link System#console()} is
   * not null when output is redirected too; {@code Console.isTerminal()} then tells.
   */
  static boolean interactive() {
    Console c = System.console();
    if (c == null) return false;
    try {
      Method isTerminal = Console.class.getMethod("isTerminal");
      return (Boolean) isTerminal.invoke(c);
    } catch (ReflectiveOperationException e) {
      return true; // JDK 21: a console exists only for a terminal
    }
  }
}
