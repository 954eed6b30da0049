package io.grpo4j.report;

import io.grpo4j.torch.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * PNG plots of the main curves ({@code plots/<metric>.png}, {@code /} in a name becomes {@code _}),
 * every run overlaid in the dashboard's colours, for READMEs and papers. Drawn with JFreeChart in
 * headless AWT.
 */
public final class Plots {
  /**
   * The curves plotted, when at least one run logs them (the last seven are the masked-diffusion
   * probe's, docs/diffusion.md; clip_ratio, frac_zero_std_groups and grad_norm exist for every GRPO
   * run).
   */
  public static final List<String> METRICS =
      List.of(
          "reward/mean",
          "success_rate",
          "eval/success_rate",
          "kl/forward",
          "kl/reverse",
          "entropy",
          "loss/policy",
          "adv/token_abs_mean",
          "completion_len/mean",
          "tokens_per_s",
          // the masked-diffusion probe's convergence diagnostics (docs/diffusion.md)
          "eval/sampled_success_rate",
          "probe/kl_forward",
          "grad/half_cosine",
          "likelihood/e1_e2_corr",
          "clip_ratio",
          "frac_zero_std_groups",
          "grad_norm");

  static final Color[] COLOURS = {
    new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd),
    new Color(0xff7f0e), new Color(0x17becf), new Color(0x8c564b), new Color(0xe377c2),
    new Color(0x7f7f7f), new Color(0xbcbd22)
  };

  static final int WIDTH = 640, HEIGHT = 360;

  private Plots() {}

  /** File name of a metric's plot. */
  public static String fileName(String metric) {
    return metric.replaceAll("[^A-Za-z0-9_.-]", "_") + ".png";
  }

  /** Writes one PNG per plotted metric any run has; returns the files written. */
  public static List<Path> write(List<String> names, List<MetricsTable.Series> series, Path dir)
      throws IOException {
    if (System.getProperty("java.awt.headless") == null)
      System.setProperty("java.awt.headless", "true");
    Files.createDirectories(dir);
    List<Path> out = new ArrayList<>();
    for (String metric : METRICS) {
      XYSeriesCollection data = new XYSeriesCollection();
      boolean sparse = false;
      for (int r = 0; r < series.size(); r++) {
        double[] y = series.get(r).columns().get(metric);
        if (y == null) continue;
        XYSeries s = new XYSeries(names.get(r), false);
        double[] x = series.get(r).step();
        int finite = 0;
        for (int i = 0; i < y.length; i++) {
          if (Double.isFinite(y[i])) {
            s.add(x[i], y[i]);
            finite++;
          }
        }
        if (finite == 0) continue;
        sparse |= finite < 60 || finite < y.length / 2;
        data.addSeries(s);
      }
      if (data.getSeriesCount() == 0) continue;
      JFreeChart chart =
          ChartFactory.createXYLineChart(
              metric, "step", metric, data, PlotOrientation.VERTICAL, true, false, false);
      chart.setBackgroundPaint(Color.WHITE);
      XYPlot plot = chart.getXYPlot();
      plot.setBackgroundPaint(Color.WHITE);
      ((NumberAxis) plot.getDomainAxis()).setStandardTickUnits(NumberAxis.createIntegerTickUnits());
      plot.setDomainGridlinePaint(new Color(0xdddddd));
      plot.setRangeGridlinePaint(new Color(0xdddddd));
      XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, sparse);
      for (int s = 0; s < data.getSeriesCount(); s++) {
        int run = names.indexOf((String) data.getSeriesKey(s));
        renderer.setSeriesPaint(s, COLOURS[Math.max(0, run) % COLOURS.length]);
        renderer.setSeriesStroke(s, new BasicStroke(2f));
      }
      plot.setRenderer(renderer);
      Path file = dir.resolve(fileName(metric));
      AtomicFiles.write(file, os -> ChartUtils.writeChartAsPNG(os, chart, WIDTH, HEIGHT));
      out.add(file);
    }
    return out;
  }
}
