package io.grpo4j.audit;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the per-step memory metrics ({@code mem/*}, see {@code io.grpo4j.torch.MemoryStats}) of a
 * run and says whether memory grew after warm-up. Two views, because they catch different failures:
 * the relative growth between the median of the first ten steps after warm-up and the median of the
 * last ten (the "flat after warm-up" claim, robust to single-step spikes), and the least-squares
 * slope in bytes per step over all steps after warm-up (what a per-step leak looks like, even when
 * a short run keeps the relative growth small).
 *
 * @param metric the metrics key, e.g. {@code mem/rss_bytes}
 * @param steps steps after warm-up that were used
 * @param baseline median of the first ten steps after warm-up, bytes
 * @param end median of the last ten steps, bytes
 * @param slope least-squares bytes per step after warm-up
 */
public record MemoryTrend(String metric, int steps, double baseline, double end, double slope) {

  /** Relative growth from the baseline to the end (0.05 = 5 %). */
  public double growth() {
    return (end - baseline) / baseline;
  }

  public static MemoryTrend of(List<JsonNode> metricsRows, String metric, int warmupSteps) {
    List<double[]> points = new ArrayList<>();
    for (JsonNode r : metricsRows) {
      long step = r.path("step").asLong();
      if (step > warmupSteps && r.path(metric).isNumber())
        points.add(new double[] {step, r.path(metric).asDouble()});
    }
    if (points.size() < 20) {
      throw new IllegalArgumentException(
          metric
              + ": need at least 20 steps after the "
              + warmupSteps
              + " warm-up steps, have "
              + points.size());
    }
    double[] y = points.stream().mapToDouble(p -> p[1]).toArray();
    double baseline = median(Arrays.copyOfRange(y, 0, 10));
    double end = median(Arrays.copyOfRange(y, y.length - 10, y.length));
    double mx = points.stream().mapToDouble(p -> p[0]).average().orElseThrow();
    double my = Arrays.stream(y).average().orElseThrow();
    double sxy = 0;
    double sxx = 0;
    for (double[] p : points) {
      sxy += (p[0] - mx) * (p[1] - my);
      sxx += (p[0] - mx) * (p[0] - mx);
    }
    return new MemoryTrend(metric, points.size(), baseline, end, sxy / sxx);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  @Override
  public String toString() {
    return String.format(
        "%s: %.1f MiB after warm-up -> %.1f MiB at the end (%+.2f %%), slope %+.1f KiB/step over %d steps",
        metric, baseline / (1 << 20), end / (1 << 20), 100 * growth(), slope / 1024, steps);
  }
}
