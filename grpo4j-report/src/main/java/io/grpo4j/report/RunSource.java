package io.grpo4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One run shown by the dashboard or a report: a folder with {@code metrics.jsonl} (and usually
 * {@code samples.jsonl}, {@code config.yaml}), and the {@code summary.json} that holds its eval
 * before/after table when there is one (in the folder itself or, for a quickstart, its parent).
 *
 * @param name the label in legends (unique among the runs of one page)
 * @param dir the run folder
 * @param summary the summary.json that belongs to it, or null
 */
public record RunSource(String name, Path dir, Path summary) {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String METRICS = "metrics.jsonl", SAMPLES = "samples.jsonl";
  static final String SUMMARY = "summary.json", SWEEP = "sweep.json";

  public Path metrics() {
    return dir.resolve(METRICS);
  }

  public Path samples() {
    return dir.resolve(SAMPLES);
  }

  /**
   * The runs behind the folders a user named: a run folder (has {@code metrics.jsonl}); a
   * quickstart folder ({@code summary.json} beside {@code sft/} and {@code grpo/} run folders: each
   * of those); or a sweep folder ({@code sweep.json}: every run of every cell, named {@code
   * cell/run}).
   */
  public static List<RunSource> resolve(List<Path> folders) throws IOException {
    if (folders.isEmpty()) throw new IllegalArgumentException("no run folder given");
    List<RunSource> out = new ArrayList<>();
    for (Path f : folders) out.addAll(resolve(f, folders.size() > 1));
    Set<String> seen = new HashSet<>();
    List<RunSource> unique = new ArrayList<>();
    for (RunSource r : out) {
      String n = r.name();
      for (int k = 2; !seen.add(n); k++) n = r.name() + " (" + k + ")";
      unique.add(new RunSource(n, r.dir(), r.summary()));
    }
    return unique;
  }

  private static List<RunSource> resolve(Path f, boolean several) throws IOException {
    if (!Files.isDirectory(f)) throw new NoSuchFileException(f + " (not a folder)");
    String base = label(f);
    if (Files.isRegularFile(f.resolve(SWEEP))) return sweep(f, base);
    if (Files.isRegularFile(f.resolve(METRICS))) {
      Path summary = f.resolve(SUMMARY);
      if (!Files.isRegularFile(summary)) summary = parentSummary(f);
      return List.of(new RunSource(base, f, summary));
    }
    List<RunSource> subs = new ArrayList<>();
    for (String sub : List.of("sft", "grpo")) {
      Path d = f.resolve(sub);
      if (Files.isRegularFile(d.resolve(METRICS))) {
        Path summary = Files.isRegularFile(f.resolve(SUMMARY)) ? f.resolve(SUMMARY) : null;
        subs.add(new RunSource(several ? base + "/" + sub : sub, d, summary));
      }
    }
    if (subs.isEmpty()) {
      throw new IllegalArgumentException(
          f
              + ": not a run folder (no "
              + METRICS
              + "), a quickstart folder (no sft/ or grpo/ run) or a sweep folder (no "
              + SWEEP
              + ")");
    }
    return subs;
  }

  /** A quickstart's grpo/ (or sft/) run takes the quickstart's summary.json. */
  private static Path parentSummary(Path dir) {
    Path parent = dir.toAbsolutePath().normalize().getParent();
    if (parent == null) return null;
    Path s = parent.resolve(SUMMARY);
    return Files.isRegularFile(s) ? s : null;
  }

  private static List<RunSource> sweep(Path f, String base) throws IOException {
    Path file = f.resolve(SWEEP);
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": not valid JSON (" + e.getMessage() + ")", e);
    }
    JsonNode cells = root.path("cells");
    if (!cells.isArray()) throw new IllegalArgumentException(file + ": no \"cells\" array");
    List<RunSource> out = new ArrayList<>();
    for (JsonNode cell : cells) {
      String name = cell.path("name").asText("");
      JsonNode runs = cell.path("runs");
      if (!runs.isArray()) {
        throw new IllegalArgumentException(file + ": cell '" + name + "' has no \"runs\" array");
      }
      for (JsonNode r : runs) {
        Path dir = f.resolve(r.asText());
        if (!Files.isRegularFile(dir.resolve(METRICS))) continue; // a cell still to run
        String label = runs.size() > 1 ? name + "/" + dir.getFileName() : name;
        out.add(new RunSource(label.isEmpty() ? base + "/" + r.asText() : label, dir, null));
      }
    }
    if (out.isEmpty()) throw new IllegalArgumentException(file + ": no cell has a run yet");
    return out;
  }

  /** A folder's own name (of its absolute path), for titles and legends. */
  public static String label(Path f) {
    Path n = f.toAbsolutePath().normalize().getFileName();
    return n == null ? f.toString() : n.toString();
  }
}
