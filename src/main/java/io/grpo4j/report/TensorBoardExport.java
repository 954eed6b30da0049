package io.grpo4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * TensorBoard event files from a run's logs: one scalar per numeric metric of each {@code
 * metrics.jsonl} row (same names, e.g. {@code reward/mean}, {@code kl/forward}) and, per step with
 * logged rollouts, a text summary {@code samples} of its completions.
 */
public final class TensorBoardExport {
  /** Completions per step in the text summary. */
  static final int TEXT_ROWS = 8;

  private TensorBoardExport() {}

  /**
   * Writes a new event file in the run folder from its metrics and samples, first removing the
   * event files already there (so a regenerated run does not show every point twice).
   */
  public static Path write(RunSource run) throws IOException {
    try (var s = Files.list(run.dir())) {
      for (Path p :
          s.filter(p -> p.getFileName().toString().startsWith("events.out.tfevents.")).toList())
        Files.delete(p);
    }
    MetricsTable table = new MetricsTable(run.metrics());
    table.refresh();
    MetricsTable.Series all = table.series(Math.max(1, table.rows()));
    SampleIndex samples = new SampleIndex(run.samples());
    samples.refresh();
    try (TfEventsWriter w = TfEventsWriter.create(run.dir())) {
      for (int i = 0; i < all.step().length; i++) {
        Map<String, Double> row = new LinkedHashMap<>();
        for (var e : all.columns().entrySet()) row.put(e.getKey(), e.getValue()[i]);
        w.scalars((long) all.step()[i], row);
      }
      for (long step : samples.steps()) {
        w.text(step, "samples", markdown(samples.rows(step, 0, TEXT_ROWS)));
      }
      return w.file();
    }
  }

  /** A markdown list of completions: reward, success, the verifier's reason, the text. */
  public static String markdown(List<JsonNode> rows) {
    StringBuilder b = new StringBuilder();
    for (JsonNode r : rows) {
      b.append("**#")
          .append(r.path("index").asText("?"))
          .append("** reward ")
          .append(String.format("%.3f", r.path("reward").asDouble(Double.NaN)))
          .append(r.path("success").asBoolean(false) ? " ✓" : " ✗")
          .append(" — ")
          .append(r.path("reason").asText(""))
          .append("\n\n```\n")
          .append(r.path("completion").asText("").replace("```", "` ` `"))
          .append("\n```\n\n");
    }
    return b.toString();
  }
}
