package io.grpo4j.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.torch.AtomicFiles;
import io.grpo4j.torch.IOConsumer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A JSONL file with one object per step ({@code metrics.jsonl}, {@code samples.jsonl}). Lines are
 * appended and flushed as they come; on resume {@link #truncateAfter} drops every line written
 * after the checkpoint being resumed (and any torn last line), so step numbers continue with no gap
 * and no duplicate.
 */
public final class MetricsLog implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  private final BufferedWriter out;
  private final IOConsumer<JsonNode> mirror;

  /** A log whose every row is also handed to {@code mirror} (e.g. {@link TensorBoardLog}). */
  public MetricsLog(Path file, IOConsumer<JsonNode> mirror) throws IOException {
    this.mirror = mirror;
    Files.createDirectories(file.toAbsolutePath().getParent());
    this.out =
        Files.newBufferedWriter(
            file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  /** Appends one object as a line. Non-finite doubles are written as null (JSON has no NaN). */
  public void append(Map<String, ?> row) throws IOException {
    ObjectNode o = JSON.createObjectNode();
    for (var e : row.entrySet()) {
      Object v = e.getValue();
      if (v instanceof Double d && !Double.isFinite(d)) o.putNull(e.getKey());
      else o.set(e.getKey(), JSON.valueToTree(v));
    }
    append(o);
  }

  public void append(JsonNode row) throws IOException {
    out.write(JSON.writeValueAsString(row));
    out.write('\n');
    out.flush();
    mirror.accept(row);
  }

  @Override
  public void close() throws IOException {
    out.close();
  }

  /**
   * Keeps only complete lines whose {@code step} is at most {@code lastStep}; rewrites atomically.
   */
  public static void truncateAfter(Path file, long lastStep) throws IOException {
    if (!Files.exists(file)) return;
    List<String> keep = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.isBlank()) continue;
      JsonNode n;
      try {
        n = JSON.readTree(line);
      } catch (IOException torn) {
        continue; // a line cut by a kill
      }
      if (n.path("step").asLong(Long.MAX_VALUE) <= lastStep) keep.add(line);
    }
    AtomicFiles.writeString(file, keep.isEmpty() ? "" : String.join("\n", keep) + "\n");
  }

  /** All rows of a JSONL file. */
  public static List<JsonNode> read(Path file) throws IOException {
    List<JsonNode> rows = new ArrayList<>();
    if (!Files.exists(file)) return rows;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) rows.add(JSON.readTree(line));
    }
    return rows;
  }
}
