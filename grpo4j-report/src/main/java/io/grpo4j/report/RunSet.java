package io.grpo4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The runs on one page and the JSON the page is drawn from; the live dashboard serves these objects
 * from its API and {@code report.html} embeds them. Metrics and samples are read incrementally
 * ({@link MetricsTable}, {@link SampleIndex}); every call refreshes first.
 */
public final class RunSet {
  /** Points per curve sent to a page (curves with more rows are averaged in buckets). */
  public static final int DEFAULT_MAX_POINTS = 1500;

  /** Rollout rows per page of the rollout browser. */
  public static final int DEFAULT_PAGE = 64;

  private final List<RunSource> runs;
  private final List<MetricsTable> metrics = new ArrayList<>();
  private final List<SampleIndex> samples = new ArrayList<>();

  public RunSet(List<RunSource> runs) {
    this.runs = List.copyOf(runs);
    for (RunSource r : runs) {
      metrics.add(new MetricsTable(r.metrics()));
      samples.add(new SampleIndex(r.samples()));
    }
  }

  public static RunSet of(List<Path> folders) throws IOException {
    return new RunSet(RunSource.resolve(folders));
  }

  public List<RunSource> runs() {
    return runs;
  }

  public int size() {
    return runs.size();
  }

  /** {@code [{id, name, dir, summary: bool}]}. */
  public ArrayNode runsJson() {
    ArrayNode a = RunSource.JSON.createArrayNode();
    for (int i = 0; i < runs.size(); i++) {
      ObjectNode o = a.addObject();
      o.put("id", i);
      o.put("name", runs.get(i).name());
      o.put("dir", runs.get(i).dir().toString());
      o.put("summary", runs.get(i).summary() != null);
    }
    return a;
  }

  /** A stamp that changes whenever a run's metrics or samples grew (for polling clients). */
  public String version() throws IOException {
    StringBuilder b = new StringBuilder();
    for (RunSource r : runs) {
      b.append(size(r.metrics())).append('.').append(size(r.samples())).append(';');
    }
    return b.toString();
  }

  private static long size(Path f) throws IOException {
    return Files.isRegularFile(f) ? Files.size(f) : -1;
  }

  /** {@code {rows, every, step: [...], columns: {name: [...]}}}, NaN as null. */
  public ObjectNode metricsJson(int run, int maxPoints) throws IOException {
    MetricsTable t = metrics.get(check(run));
    t.refresh();
    MetricsTable.Series s = t.series(maxPoints);
    ObjectNode o = RunSource.JSON.createObjectNode();
    o.put("rows", s.rows());
    o.put("every", s.every());
    put(o.putArray("step"), s.step());
    ObjectNode cols = o.putObject("columns");
    for (var e : s.columns().entrySet()) put(cols.putArray(e.getKey()), e.getValue());
    return o;
  }

  private static void put(ArrayNode a, double[] v) {
    for (double x : v) {
      if (Double.isFinite(x)) a.add(x);
      else a.addNull();
    }
  }

  /** {@code {steps: [s...], rows: [count per step...]}}: steps with logged rollouts. */
  public ObjectNode stepsJson(int run) throws IOException {
    SampleIndex idx = samples.get(check(run));
    idx.refresh();
    ObjectNode o = RunSource.JSON.createObjectNode();
    ArrayNode steps = o.putArray("steps");
    ArrayNode rows = o.putArray("rows");
    for (long s : idx.steps()) {
      steps.add(s);
      rows.add(idx.rowCount(s));
    }
    return o;
  }

  /** {@code {step, total, from, groups: [...]}}: one page of a step's rollouts. */
  public ObjectNode rolloutsJson(int run, long step, int from, int limit) throws IOException {
    SampleIndex idx = samples.get(check(run));
    idx.refresh();
    ObjectNode o = RunSource.JSON.createObjectNode();
    o.put("step", step);
    o.put("total", idx.rowCount(step));
    o.put("from", from);
    o.set("groups", Rollouts.groups(idx.rows(step, Math.max(0, from), Math.max(1, limit))));
    return o;
  }

  /** The run's summary.json, or null when it has none. */
  public JsonNode summaryJson(int run) throws IOException {
    Path f = runs.get(check(run)).summary();
    if (f == null || !Files.isRegularFile(f)) return null;
    try {
      return RunSource.JSON.readTree(f.toFile());
    } catch (IOException e) {
      throw new IOException(f + ": not valid JSON (" + e.getMessage() + ")", e);
    }
  }

  private int check(int run) {
    if (run < 0 || run >= runs.size()) {
      throw new IllegalArgumentException(
          "run " + run + " does not exist (0.." + (runs.size() - 1) + ")");
    }
    return run;
  }
}
