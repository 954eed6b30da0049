package io.grpo4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpo4j.metrics.TensorBoardLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code report --tensorboard}: a run's TensorBoard event file written again from its {@code
 * metrics.jsonl} and {@code samples.jsonl} (the same {@link TensorBoardLog} the trainers feed
 * live), after removing the event files already in the folder so no point appears twice.
 */
public final class TensorBoardExport {
  private TensorBoardExport() {}

  public static Path write(RunSource run) throws IOException {
    TensorBoardLog.deleteEventFiles(run.dir());
    SampleIndex samples = new SampleIndex(run.samples());
    samples.refresh();
    try (TensorBoardLog log = TensorBoardLog.open(run.dir(), true)) {
      for (JsonNode row : rows(run.metrics())) {
        long step = row.path("step").asLong();
        for (JsonNode s : samples.rows(step, 0, TensorBoardLog.TEXT_ROWS)) log.sample(s);
        log.metrics(row);
      }
      return log.file();
    }
  }

  private static List<JsonNode> rows(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    if (!Files.isRegularFile(file)) return out;
    for (String line : Files.readAllLines(file)) {
      if (line.isBlank()) continue;
      try {
        out.add(RunSource.JSON.readTree(line));
      } catch (IOException e) {
        throw new IOException(file + ": a line is not JSON (" + e.getMessage() + ")", e);
      }
    }
    return out;
  }
}
