package io.grpo4j.report;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * A byte-offset index of {@code samples.jsonl}: one entry (offset, length) per row, grouped by
 * step, so a page of one step's rows is read with a seek instead of loading a file of 50,000
 * rollouts. Only the {@code step} field of each row is parsed while indexing. Like {@link
 * MetricsTable} it reads only complete lines appended since the last {@link #refresh}, and starts
 * over when the file shrank.
 */
public final class SampleIndex {
  private static final int CHUNK = 1 << 20;
  private final Path file;
  private long offset;
  private final TreeMap<Long, List<long[]>> byStep = new TreeMap<>();

  public SampleIndex(Path file) {
    this.file = file;
  }

  /** Indexes what was appended since the last call. */
  public synchronized void refresh() throws IOException {
    if (!Files.isRegularFile(file)) return;
    long size = Files.size(file);
    if (size < offset) {
      offset = 0;
      byStep.clear();
    }
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      byte[] buf = new byte[CHUNK];
      byte[] line = new byte[0];
      int lineLen = 0;
      long lineStart = offset, pos = offset;
      f.seek(offset);
      while (pos < size) {
        int n = f.read(buf, 0, (int) Math.min(CHUNK, size - pos));
        if (n <= 0) break;
        for (int i = 0; i < n; i++) {
          byte b = buf[i];
          if (b == '\n') {
            if (lineLen > 0) index(lineStart, line, lineLen);
            lineStart = pos + i + 1;
            lineLen = 0;
          } else {
            if (lineLen == line.length) line = Arrays.copyOf(line, Math.max(256, 2 * lineLen));
            line[lineLen++] = b;
          }
        }
        pos += n;
      }
      offset = lineStart;
    }
  }

  private void index(long start, byte[] line, int len) throws IOException {
    long step = Long.MIN_VALUE;
    try (JsonParser p = RunSource.JSON.getFactory().createParser(line, 0, len)) {
      if (p.nextToken() != JsonToken.START_OBJECT) return;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        if (name.equals("step") && v.isNumeric()) {
          step = p.getLongValue();
          break;
        }
        p.skipChildren();
      }
    } catch (IOException torn) {
      throw new IOException(file + ": the row at byte " + start + " is not JSON", torn);
    }
    if (step == Long.MIN_VALUE) return;
    byStep.computeIfAbsent(step, k -> new ArrayList<>()).add(new long[] {start, len});
  }

  /** Steps that have rows, ascending. */
  public synchronized List<Long> steps() {
    return List.copyOf(byStep.keySet());
  }

  public synchronized int rowCount(long step) {
    List<long[]> rows = byStep.get(step);
    return rows == null ? 0 : rows.size();
  }

  /** Rows {@code from .. from+limit-1} of {@code step}, in file order (empty past the end). */
  public List<JsonNode> rows(long step, int from, int limit) throws IOException {
    List<long[]> at;
    synchronized (this) {
      List<long[]> all = byStep.getOrDefault(step, List.of());
      at = List.copyOf(all.subList(Math.min(from, all.size()), Math.min(from + limit, all.size())));
    }
    List<JsonNode> out = new ArrayList<>(at.size());
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      for (long[] e : at) {
        byte[] b = new byte[(int) e[1]];
        f.seek(e[0]);
        f.readFully(b);
        out.add(RunSource.JSON.readTree(b));
      }
    }
    return out;
  }
}
