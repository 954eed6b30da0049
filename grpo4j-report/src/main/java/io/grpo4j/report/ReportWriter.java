package io.grpo4j.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.torch.AtomicFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Writes {@code report.html} (self-contained: the dashboard's page with its data, styles and
 * scripts inline) and {@code plots/*.png} into a folder. The report carries every run's curves (at
 * most {@link RunSet#DEFAULT_MAX_POINTS} points each), its eval table, and the rollouts of up to
 * {@link #ROLLOUT_STEPS} steps per run (first, last and evenly between; one page each).
 */
public final class ReportWriter {
  static final int ROLLOUT_STEPS = 5;
  public static final String REPORT = "report.html", PLOTS = "plots";

  private ReportWriter() {}

  /**
   * What was written.
   *
   * @param plotsSkipped why no PNG plots were drawn (e.g. a Java runtime without fonts), or null
   */
  public record Written(Path report, List<Path> plots, String plotsSkipped) {
    /** "plots in DIR", or why there are none. */
    public String plotsNote(Path dir) {
      return plotsSkipped == null
          ? plots.size() + " plots in " + dir
          : "no plots: " + plotsSkipped + "; report.html draws its own";
    }
  }

  public static Written write(RunSet set, Path outDir, String title) throws IOException {
    Files.createDirectories(outDir);
    ObjectNode data = RunSource.JSON.createObjectNode();
    data.set("runs", set.runsJson());
    data.put("written", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    ArrayNode metrics = data.putArray("metrics"),
        steps = data.putArray("steps"),
        rollouts = data.putArray("rollouts"),
        summary = data.putArray("summary");
    List<MetricsTable.Series> series = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < set.size(); i++) {
      metrics.add(set.metricsJson(i, RunSet.DEFAULT_MAX_POINTS));
      ObjectNode st = set.stepsJson(i);
      List<Long> all = new ArrayList<>();
      st.path("steps").forEach(s -> all.add(s.asLong()));
      List<Long> chosen = spread(all, ROLLOUT_STEPS);
      ObjectNode byStep = rollouts.addObject();
      ArrayNode keptSteps = RunSource.JSON.createArrayNode(),
          keptRows = RunSource.JSON.createArrayNode();
      for (long s : chosen) {
        ObjectNode page = set.rolloutsJson(i, s, 0, RunSet.DEFAULT_PAGE);
        page.put("total", Math.min(page.path("total").asInt(), RunSet.DEFAULT_PAGE));
        byStep.set(String.valueOf(s), page);
        keptSteps.add(s);
        keptRows.add(page.path("total").asInt());
      }
      ObjectNode stOut = steps.addObject();
      stOut.set("steps", keptSteps);
      stOut.set("rows", keptRows);
      var sum = set.summaryJson(i);
      if (sum == null) summary.addNull();
      else summary.add(sum);
      MetricsTable t = new MetricsTable(set.runs().get(i).metrics());
      t.refresh();
      series.add(t.series(RunSet.DEFAULT_MAX_POINTS));
      names.add(set.runs().get(i).name());
    }
    Path report = outDir.resolve(REPORT);
    AtomicFiles.writeString(report, Page.selfContained(title, data));
    try {
      return new Written(report, Plots.write(names, series, outDir.resolve(PLOTS)), null);
    } catch (RuntimeException | LinkageError | InternalError e) {
      // Java2D needs fonts (fontconfig); a headless runtime without them, e.g. the GPU bundle's
      // jlinked JRE on a bare machine, fails here ("Fontconfig head is null"): plots are optional
      return new Written(report, List.of(), "Java2D failed (" + e + ")");
    }
  }

  /**
   * The hook at the end of {@code train}, {@code quickstart} and {@code sweep}: writes the report
   * of {@code dir} into it and says where. A report that cannot be written is a warning, never a
   * failure of the run that just finished.
   */
  public static void afterRun(Path dir, PrintStream out) {
    try {
      Written w = write(RunSet.of(List.of(dir)), dir, RunSource.label(dir));
      out.printf("report: %s (%s)%n", w.report(), w.plotsNote(dir.resolve(PLOTS)));
    } catch (IOException | RuntimeException e) {
      out.printf("warning: no report for %s: %s%n", dir, e.getMessage());
    }
  }

  /** Up to {@code k} of {@code steps}: the first, the last and evenly spaced ones between. */
  static List<Long> spread(List<Long> steps, int k) {
    if (steps.size() <= k) return steps;
    TreeSet<Long> out = new TreeSet<>();
    for (int j = 0; j < k; j++)
      out.add(steps.get((int) Math.round(j * (steps.size() - 1.0) / (k - 1))));
    return List.copyOf(out);
  }
}
