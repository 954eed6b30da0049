package io.grpo4j.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The TensorBoard side of a run's logs ({@code logging.tensorboard}): fed the same rows as {@code
 * metrics.jsonl} and {@code samples.jsonl}, it writes an event file beside them with one scalar per
 * numeric metric (same names) and, per step, a text summary {@code samples} of up to {@link
 * #TEXT_ROWS} logged completions (sent with that step's metrics row). Each process writes a new
 * event file; after a resume TensorBoard drops the steps it sees again (its orphaned-data purge).
 */
public final class TensorBoardLog implements AutoCloseable {
  /** Completions per step in the text summary. */
  public static final int TEXT_ROWS = 8;

  private final TfEventsWriter writer;
  private final List<JsonNode> pending = new ArrayList<>();
  private long pendingStep = Long.MIN_VALUE;

  private TensorBoardLog(TfEventsWriter writer) {
    this.writer = writer;
  }

  /** An event file in {@code runDir}, or (disabled) a log that writes nothing. */
  public static TensorBoardLog open(Path runDir, boolean enabled) throws IOException {
    return new TensorBoardLog(enabled ? TfEventsWriter.create(runDir) : null);
  }

  /** Removes the event files of {@code runDir} (before writing them again from the logs). */
  public static void deleteEventFiles(Path runDir) throws IOException {
    try (var s = Files.list(runDir)) {
      for (Path p : s.toList()) {
        if (p.getFileName().toString().startsWith("events.out.tfevents.")) Files.delete(p);
      }
    }
  }

  /** The event file, or null when disabled. */
  public Path file() {
    return writer == null ? null : writer.file();
  }

  /** A {@code metrics.jsonl} row: its numeric fields as scalars, then that step's samples. */
  public void metrics(JsonNode row) throws IOException {
    if (writer == null || !row.path("step").isNumber()) return;
    long step = row.path("step").asLong();
    Map<String, Double> scalars = new LinkedHashMap<>();
    for (var it = row.properties().iterator(); it.hasNext(); ) {
      var e = it.next();
      if (!e.getKey().equals("step") && e.getValue().isNumber())
        scalars.put(e.getKey(), e.getValue().asDouble());
    }
    writer.scalars(step, scalars);
    if (pendingStep == step) flush();
  }

  /** A {@code samples.jsonl} row, kept for its step's text summary. */
  public void sample(JsonNode row) throws IOException {
    if (writer == null || !row.path("step").isNumber()) return;
    long step = row.path("step").asLong();
    if (step != pendingStep) {
      flush();
      pendingStep = step;
    }
    if (pending.size() < TEXT_ROWS) pending.add(row);
  }

  private void flush() throws IOException {
    if (!pending.isEmpty()) writer.text(pendingStep, "samples", markdown(pending));
    pending.clear();
  }

  @Override
  public void close() throws IOException {
    if (writer == null) return;
    try {
      flush();
    } finally {
      writer.close();
    }
  }

  /** A markdown list of completions: reward, success, the verifier's reason, the text. */
  static String markdown(List<JsonNode> rows) {
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
