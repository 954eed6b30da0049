package io.grpo4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The numeric columns of a {@code metrics.jsonl}, read incrementally: {@link #refresh} reads only
 * the complete lines appended since the last call (a line still being written waits for its
 * newline), so a dashboard can poll a run while it trains. A file that shrank (a resumed run
 * truncates rows after its checkpoint) is read again from the start.
 *
 * <p>Missing or null values (an eval column on a step without eval) are NaN.
 */
public final class MetricsTable {
  private final Path file;
  private long offset;
  private final List<Double> steps = new ArrayList<>();
  private final Map<String, List<Double>> cols = new LinkedHashMap<>();

  public MetricsTable(Path file) {
    this.file = file;
  }

  /** Reads what was appended since the last call; returns whether rows were added. */
  public synchronized boolean refresh() throws IOException {
    if (!Files.isRegularFile(file)) return false;
    long size = Files.size(file);
    if (size < offset) {
      offset = 0;
      steps.clear();
      cols.clear();
    }
    if (size == offset) return false;
    byte[] chunk;
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      f.seek(offset);
      chunk = new byte[(int) Math.min(size - offset, Integer.MAX_VALUE - 8)];
      f.readFully(chunk);
    }
    int start = 0, added = 0;
    for (int i = 0; i < chunk.length; i++) {
      if (chunk[i] != '\n') continue;
      String line = new String(chunk, start, i - start, StandardCharsets.UTF_8);
      long lineNo = start;
      start = i + 1;
      if (line.isBlank()) continue;
      JsonNode row;
      try {
        row = RunSource.JSON.readTree(line);
      } catch (IOException e) {
        throw new IOException(
            file + ": line at byte " + (offset + lineNo) + " is not JSON: " + e.getMessage(), e);
      }
      add(row);
      added++;
    }
    offset += start;
    return added > 0;
  }

  private void add(JsonNode row) {
    JsonNode step = row.get("step");
    if (step == null || !step.isNumber()) return; // not a step row
    int n = steps.size();
    steps.add(step.asDouble());
    for (var it = row.properties().iterator(); it.hasNext(); ) {
      var e = it.next();
      boolean numeric = e.getValue().isNumber() || e.getValue().isBoolean();
      if (e.getKey().equals("step") || !numeric) continue;
      List<Double> c = cols.computeIfAbsent(e.getKey(), k -> new ArrayList<>());
      while (c.size() < n) c.add(Double.NaN);
      c.add(
          e.getValue().isBoolean()
              ? (e.getValue().asBoolean() ? 1.0 : 0.0)
              : e.getValue().asDouble());
    }
    for (List<Double> c : cols.values()) while (c.size() < n + 1) c.add(Double.NaN);
  }

  /**
   * The table cut to at most {@code maxPoints} points: rows are split into consecutive buckets of
   * {@code every = ceil(rows / maxPoints)} rows and each bucket becomes one point whose step is its
   * last row's step and whose value is the mean of the bucket's finite values (NaN when it has
   * none). With {@code every = 1} the points are the rows themselves.
   */
  public synchronized Series series(int maxPoints) {
    if (maxPoints < 1) throw new IllegalArgumentException("maxPoints must be >= 1: " + maxPoints);
    int n = steps.size();
    int every = Math.max(1, (n + maxPoints - 1) / maxPoints);
    int points = (n + every - 1) / every;
    double[] x = new double[points];
    for (int p = 0; p < points; p++) x[p] = steps.get(Math.min(n, (p + 1) * every) - 1);
    Map<String, double[]> out = new LinkedHashMap<>();
    for (var e : cols.entrySet()) {
      double[] y = new double[points];
      List<Double> c = e.getValue();
      for (int p = 0; p < points; p++) {
        double sum = 0;
        int k = 0;
        for (int i = p * every; i < Math.min(n, (p + 1) * every); i++) {
          double v = c.get(i);
          if (Double.isFinite(v)) {
            sum += v;
            k++;
          }
        }
        y[p] = k == 0 ? Double.NaN : sum / k;
      }
      out.put(e.getKey(), y);
    }
    return new Series(n, every, x, out);
  }

  /**
   * Downsampled metrics.
   *
   * @param rows rows in the file
   * @param every rows per point
   * @param step the x value of each point
   * @param columns each metric's values (NaN = no value)
   */
  public record Series(int rows, int every, double[] step, Map<String, double[]> columns) {
    @Override
    public String toString() {
      return "Series[rows=" + rows + ", every=" + every + ", step=" + Arrays.toString(step) + "]";
    }
  }
}
