package io.grpo4j.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.config.RunConfig;
import io.grpo4j.metrics.MetricNames;
import io.grpo4j.model.ModelKind;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Task;
import io.grpo4j.torch.AtomicFiles;
import io.grpo4j.train.RunSetup;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A grid of GRPO runs, several seeds per cell, each run evaluated on the held-out problems, and one
 * table of mean ± sd over seeds per cell: how a researcher asks "does this knob help, beyond seed
 * noise?".
 *
 * <p>Layout of {@code OUT}: {@code OUT/<cell>/seed-<k>/} is a normal GRPO run folder (config,
 * metrics, checkpoints) plus {@code sweep-result.json} (its evaluation); {@code OUT/sweep.json} is
 * {@code {"grid": {key: [values]}, "seeds": N, "cells": [{"name", "params": {key: value}, "runs":
 * ["<cell>/seed-<k>", ...], "metrics": {"<metric>": {"mean": x, "sd": y}}}]}} and {@code
 * OUT/sweep.md} the same as a Markdown table; both are rewritten after every run, so a sweep that
 * is stopped keeps what it finished, and running it again skips the runs that have a result. Seed k
 * runs with {@code seed=k}. With a baseline, {@code OUT/start/eval.json} holds the same metrics of
 * the start model ({@code model.init}).
 *
 * <p>Metrics per run: {@code success_rate} (held-out greedy success), {@code reward_per_prompt},
 * {@code kl_forward} and {@code kl_reverse} (per-token KL of the greedy answers to the start model;
 * a masked-diffusion run's at its answers' commit states, plus {@code probe_kl_forward} and {@code
 * probe_kl_reverse} on the fixed probe states, {@link DiffusionEvaluation}), {@code turns} (model
 * turns per held-out episode, for a task played against an environment), {@code pass@1} and {@code
 * pass@k} (unbiased, k samples per problem at temperature 1 on the first {@code passProblems}
 * held-out problems), {@code grpo_seconds} (wall time of training). sd is the sample standard
 * deviation over seeds (0 for one seed).
 *
 * @param config the YAML config (null: defaults)
 * @param overrides {@code key=value} applied to every run, before the cell's own values
 * @param grid the axes, in order; cells are their Cartesian product, first axis slowest
 * @param seeds runs per cell, seeds 0..N−1
 * @param out the sweep folder
 * @param passK samples per problem for pass@k (0: no sampled evaluation)
 * @param passProblems held-out problems the sampled evaluation uses (at most data.eval_size)
 * @param baseline also evaluate the start model once
 */
public record Sweep(
    Path config,
    List<String> overrides,
    List<Axis> grid,
    int seeds,
    Path out,
    int passK,
    int passProblems,
    boolean baseline) {

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** The metric names of a run, in table order. */
  static List<String> metricNames(int passK) {
    List<String> m = new ArrayList<>(List.of("success_rate"));
    if (passK >= 2) {
      m.add("pass@1");
      if (passK > 8) m.add("pass@8");
      m.add("pass@" + passK);
    }
    m.addAll(
        List.of(
            "kl_forward",
            "kl_reverse",
            "reward_per_prompt",
            "generated_tokens",
            "steps",
            "grpo_seconds"));
    return m;
  }

  /** One axis of the grid: a config key and the values it takes. */
  public record Axis(String key, List<String> values) {
    public Axis {
      if (key == null || key.isBlank()) throw new IllegalArgumentException("--grid: empty key");
      if (key.equals("seed"))
        throw new IllegalArgumentException("--grid: 'seed' is set by --seeds, not by the grid");
      values = List.copyOf(values);
      if (values.isEmpty() || values.stream().anyMatch(String::isBlank))
        throw new IllegalArgumentException("--grid " + key + ": give values like key=v1,v2");
      if (new LinkedHashSet<>(values).size() != values.size())
        throw new IllegalArgumentException("--grid " + key + ": a value is repeated: " + values);
    }

    /** Parses {@code key=v1,v2,...}. */
    public static Axis parse(String spec) {
      int eq = spec.indexOf('=');
      if (eq <= 0)
        throw new IllegalArgumentException(
            "--grid '" + spec + "': expected key=v1,v2 (e.g. rl.advantage.mode=sequence,prefix)");
      return new Axis(spec.substring(0, eq).trim(), List.of(spec.substring(eq + 1).split(",", -1)));
    }
  }

  /** One cell: a value for every axis, and its folder name. */
  public record Cell(String name, Map<String, String> params) {}

  public Sweep {
    overrides = List.copyOf(overrides);
    grid = List.copyOf(grid);
    if (grid.isEmpty()) throw new IllegalArgumentException("give at least one --grid key=v1,v2");
    Set<String> keys = new LinkedHashSet<>();
    for (Axis a : grid)
      if (!keys.add(a.key()))
        throw new IllegalArgumentException("--grid " + a.key() + " is given twice");
    if (seeds < 1) throw new IllegalArgumentException("--seeds must be >= 1, got " + seeds);
    if (passK == 1 || passK < 0)
      throw new IllegalArgumentException("--pass-k must be 0 (off) or >= 2, got " + passK);
    if (passK >= 2 && passProblems < 1)
      throw new IllegalArgumentException("--pass-problems must be >= 1, got " + passProblems);
  }

  /**
   * The Cartesian product of the axes, first axis slowest. A cell's name joins {@code key-value}
   * pairs with {@code _}, where key is the last segment of the config key (the whole key when two
   * axes share a last segment) and characters outside {@code [A-Za-z0-9.+-]} become {@code _}.
   */
  public List<Cell> cells() {
    Set<String> shortKeys = new LinkedHashSet<>();
    boolean clash = false;
    for (Axis a : grid) clash |= !shortKeys.add(last(a.key()));
    List<Cell> out = new ArrayList<>();
    int n = 1;
    for (Axis a : grid) n *= a.values().size();
    for (int index = 0; index < n; index++) {
      Map<String, String> params = new LinkedHashMap<>();
      StringBuilder name = new StringBuilder();
      int rest = index;
      int stride = n;
      for (Axis a : grid) {
        stride /= a.values().size();
        String v = a.values().get(rest / stride).trim();
        rest %= stride;
        params.put(a.key(), v);
        if (!name.isEmpty()) name.append('_');
        name.append(safe(clash ? a.key() : last(a.key()))).append('-').append(safe(v));
      }
      out.add(new Cell(name.toString(), params));
    }
    return out;
  }

  private static String last(String key) {
    return key.substring(key.lastIndexOf('.') + 1);
  }

  private static String safe(String s) {
    return s.replaceAll("[^A-Za-z0-9.+-]", "_");
  }

  /** The config of one run: defaults ← file ← overrides ← the cell's values ← seed. */
  RunConfig configOf(Cell cell, int seed) throws IOException {
    List<String> all = new ArrayList<>(overrides);
    cell.params().forEach((k, v) -> all.add(k + "=" + v));
    all.add("seed=" + seed);
    return Runs.config(config, all);
  }

  /** Runs every cell and seed not yet done, then writes the tables; returns sweep.json's tree. */
  public ObjectNode run(PrintStream log) throws IOException {
    List<Cell> cells = cells();
    for (Cell c : cells) { // fail on a bad key or a missing start model before hours of training
      if (configOf(c, 0).model().init() == null)
        throw new IllegalArgumentException(
            "model.init is not set: a sweep trains GRPO from a model folder (--set model.init=DIR)");
    }
    Files.createDirectories(out);
    if (baseline) {
      Path eval = out.resolve("start").resolve("eval.json");
      if (!Files.isRegularFile(eval)) {
        RunConfig cfg = configOf(cells.get(0), 0);
        log.printf("== start model %s%n", cfg.model().init());
        ObjectNode m = evaluate(cfg, Path.of(cfg.model().init()), Double.NaN, log);
        Files.createDirectories(eval.getParent());
        AtomicFiles.writeString(eval, JSON.writeValueAsString(m) + "\n");
      }
    }
    int total = cells.size() * seeds;
    int done = 0;
    ObjectNode tables = null;
    for (Cell c : cells) {
      for (int k = 0; k < seeds; k++) {
        done++;
        Path runDir = out.resolve(c.name()).resolve("seed-" + k);
        Path result = runDir.resolve("sweep-result.json");
        if (Files.isRegularFile(result)) {
          log.printf("== [%d/%d] %s seed %d: done before, kept%n", done, total, c.name(), k);
          continue;
        }
        log.printf("== [%d/%d] %s seed %d -> %s%n", done, total, c.name(), k, runDir);
        RunConfig cfg = configOf(c, k);
        long t0 = System.nanoTime();
        Path model = Runs.grpo(cfg, runDir, log);
        double seconds = (System.nanoTime() - t0) / 1e9;
        ObjectNode r = JSON.createObjectNode();
        r.set("params", JSON.valueToTree(c.params()));
        r.put("seed", k);
        r.put("model", model.toString());
        ObjectNode metrics = evaluate(cfg, model, seconds, log);
        JsonNode last = lastMetricsRow(runDir);
        if (last != null) {
          metrics.put(
              "generated_tokens",
              last.path(MetricNames.TOKENS_GENERATED_TOTAL).asDouble(Double.NaN));
          metrics.put("steps", last.path(MetricNames.STEP).asDouble(Double.NaN));
        }
        r.set("metrics", metrics);
        AtomicFiles.writeString(result, JSON.writeValueAsString(r) + "\n");
        tables = writeTables(cells, log);
      }
    }
    return tables != null ? tables : writeTables(cells, log);
  }

  /** The last row of a run's metrics.jsonl, or null when it has none. */
  static JsonNode lastMetricsRow(Path runDir) throws IOException {
    Path f = runDir.resolve("metrics.jsonl");
    if (!Files.isRegularFile(f)) return null;
    JsonNode last = null;
    for (String line : Files.readAllLines(f)) {
      if (!line.isBlank()) last = JSON.readTree(line);
    }
    return last;
  }

  /** Greedy held-out evaluation (+ KL to the start model) and, with passK, the sampled one. */
  private ObjectNode evaluate(RunConfig cfg, Path model, double seconds, PrintStream log)
      throws IOException {
    try (Task<?> task = Tasks.create(cfg)) {
      return evaluate(cfg, task, model, seconds, log);
    }
  }

  private <D> ObjectNode evaluate(
      RunConfig cfg, Task<D> task, Path model, double seconds, PrintStream log) throws IOException {
    // the run's own held-out set: data.eval_file when set (a dataset task's draw() would be its
    // training rows), else eval_size problems drawn with data.eval_seed
    List<Problem<D>> heldOut = RunSetup.evalProblems(cfg, task);
    Path start = Path.of(cfg.model().init());
    boolean isStart = model.toAbsolutePath().normalize().equals(start.toAbsolutePath().normalize());
    Path ref = isStart ? null : start;
    Evaluation greedy;
    double[] probe = null;
    if (ModelKind.of(model) == ModelKind.MASKED_DIFFUSION) {
      DiffusionEvaluation de = DiffusionEvaluation.run(cfg, task, heldOut, model, ref, 0, log);
      greedy = de.evaluation();
      probe = new double[] {de.probeKlForward(), de.probeKlReverse()};
    } else {
      greedy = Evaluation.run(cfg, task, heldOut, model, ref, 0, log);
    }
    ObjectNode m = JSON.createObjectNode();
    m.put("success_rate", greedy.scores().successRate());
    if (passK >= 2) {
      List<Problem<D>> some = heldOut.subList(0, Math.min(passProblems, heldOut.size()));
      Evaluation sampled = Evaluation.run(cfg, task, some, model, null, passK, log);
      sampled.passAtK().forEach((k, v) -> m.put("pass@" + k, v));
    }
    m.put("kl_forward", isStart ? 0.0 : greedy.klForward());
    m.put("kl_reverse", isStart ? 0.0 : greedy.klReverse());
    if (probe != null) { // masked diffusion: the KL on the fixed probe states too
      m.put("probe_kl_forward", isStart ? 0.0 : probe[0]);
      m.put("probe_kl_reverse", isStart ? 0.0 : probe[1]);
    }
    m.put("reward_per_prompt", greedy.scores().rewardPerPrompt());
    if (!Double.isNaN(greedy.turnsMean())) m.put("turns", greedy.turnsMean());
    if (!Double.isNaN(seconds)) m.put("grpo_seconds", seconds);
    m.put("eval_problems", heldOut.size());
    return m;
  }

  /** Aggregates every finished run into sweep.json and sweep.md; returns sweep.json's tree. */
  ObjectNode writeTables(List<Cell> cells, PrintStream log) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode g = root.putObject("grid");
    for (Axis a : grid) {
      ArrayNode vs = g.putArray(a.key());
      for (String v : a.values()) vs.add(typed(v.trim()));
    }
    root.put("seeds", seeds);
    ArrayNode cellsOut = root.putArray("cells");
    for (Cell c : cells) {
      ObjectNode co = cellsOut.addObject();
      co.put("name", c.name());
      ObjectNode params = co.putObject("params");
      c.params().forEach((k, v) -> params.set(k, typed(v)));
      ArrayNode runs = co.putArray("runs");
      Map<String, List<Double>> values = new LinkedHashMap<>();
      for (int k = 0; k < seeds; k++) {
        Path result = out.resolve(c.name()).resolve("seed-" + k).resolve("sweep-result.json");
        if (!Files.isRegularFile(result)) continue;
        runs.add(c.name() + "/seed-" + k);
        JsonNode metrics = JSON.readTree(Files.readString(result)).path("metrics");
        metrics
            .fields()
            .forEachRemaining(
                e ->
                    values
                        .computeIfAbsent(e.getKey(), x -> new ArrayList<>())
                        .add(e.getValue().asDouble()));
      }
      ObjectNode mo = co.putObject("metrics");
      values.forEach(
          (name, xs) -> {
            double[] ms = meanSd(xs);
            ObjectNode o = mo.putObject(name);
            o.put("mean", ms[0]);
            o.put("sd", ms[1]);
          });
    }
    AtomicFiles.writeString(out.resolve("sweep.json"), JSON.writeValueAsString(root) + "\n");
    String md = markdown(root);
    AtomicFiles.writeString(out.resolve("sweep.md"), md);
    log.print(md);
    return root;
  }

  /** Mean and sample standard deviation (0 for fewer than two values). */
  static double[] meanSd(List<Double> xs) {
    double mean = 0;
    for (double x : xs) mean += x / xs.size();
    double ss = 0;
    for (double x : xs) ss += (x - mean) * (x - mean);
    return new double[] {mean, xs.size() < 2 ? 0 : Math.sqrt(ss / (xs.size() - 1))};
  }

  /** A grid value as JSON: a number or boolean when it reads as one, else a string. */
  private static JsonNode typed(String v) {
    try {
      JsonNode n = JSON.readTree(v);
      if (n != null && (n.isNumber() || n.isBoolean())) return n;
    } catch (IOException e) {
      // not JSON: a plain string
    }
    return JSON.getNodeFactory().textNode(v);
  }

  /** sweep.md: one row per cell, "mean ± sd (n runs)" per metric; rates in percent. */
  String markdown(ObjectNode root) throws IOException {
    List<String> metrics = new ArrayList<>(metricNames(passK));
    boolean probed = false;
    for (JsonNode c : root.get("cells")) probed |= c.path("metrics").has("probe_kl_forward");
    if (probed) metrics.add(metrics.indexOf("kl_reverse") + 1, "probe_kl_forward");
    boolean turns = false; // episodes: model turns per held-out episode, after the success rate
    for (JsonNode c : root.get("cells")) turns |= c.path("metrics").has("turns");
    if (turns) metrics.add(1, "turns");
    StringBuilder sb = new StringBuilder();
    sb.append("| cell | runs |");
    for (String m : metrics) sb.append(' ').append(m).append(" |");
    sb.append('\n').append("|---|---|");
    sb.append("---|".repeat(metrics.size())).append('\n');
    Path startEval = out.resolve("start").resolve("eval.json");
    if (baseline && Files.isRegularFile(startEval)) {
      JsonNode s = JSON.readTree(Files.readString(startEval));
      sb.append("| start model | – |");
      for (String m : metrics) {
        sb.append(' ')
            .append(
                s.has(m) && !m.equals("grpo_seconds")
                    ? fmt(m, s.get(m).asDouble(), Double.NaN)
                    : "–")
            .append(" |");
      }
      sb.append('\n');
    }
    for (JsonNode c : root.get("cells")) {
      sb.append("| ")
          .append(c.get("name").asText())
          .append(" | ")
          .append(c.get("runs").size())
          .append(" |");
      for (String m : metrics) {
        JsonNode v = c.path("metrics").path(m);
        sb.append(' ')
            .append(
                v.isMissingNode() ? "–" : fmt(m, v.get("mean").asDouble(), v.get("sd").asDouble()))
            .append(" |");
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  private static String fmt(String metric, double mean, double sd) {
    boolean rate = metric.equals("success_rate") || metric.startsWith("pass@");
    boolean count =
        metric.endsWith("_seconds") || metric.equals("generated_tokens") || metric.equals("steps");
    String f = rate ? "%.1f" : count ? "%.0f" : "%.4f";
    double scale = rate ? 100 : 1;
    String m = String.format(f, mean * scale);
    return Double.isNaN(sd) ? m : m + " ± " + String.format(f, sd * scale);
  }
}
