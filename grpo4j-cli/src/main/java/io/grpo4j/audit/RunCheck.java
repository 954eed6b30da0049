package io.grpo4j.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpo4j.config.ConfigLoader;
import io.grpo4j.config.RunConfig;
import io.grpo4j.model.HfCheckpoint;
import io.grpo4j.model.LoraAdapters;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.Qwen2Config;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.run.RunKind;
import io.grpo4j.run.Runs;
import io.grpo4j.torch.CheckpointManifest;
import io.grpo4j.torch.DType;
import io.grpo4j.train.Checkpoints;
import io.grpo4j.train.Optimizers;
import io.grpo4j.train.RunSetup;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.Device;

/**
 * Audits a run folder the way a user who killed it would want to know it is fine: the config
 * parses; every {@code step-N} checkpoint verifies against its manifest and loads (weights and
 * optimizer state); {@code metrics.jsonl} holds steps 1, 2, … each exactly once; samples belong to
 * steps that exist. A run that was just killed may have a torn last line and a temporary folder; a
 * {@code finished} run may have neither, must have reached its last step, and must have logged the
 * samples of every step. {@code scripts/crash-test.sh} runs this after every kill.
 */
public final class RunCheck {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path runDir;
  private final List<String> problems = new ArrayList<>();
  private final List<String> passed = new ArrayList<>();

  private RunCheck(Path runDir) {
    this.runDir = runDir;
  }

  /** What was checked, and what was wrong (empty when the run folder is sound). */
  public record Report(List<String> passed, List<String> problems) {
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  public static Report audit(Path runDir, boolean finished) throws IOException {
    RunCheck c = new RunCheck(runDir);
    c.run(finished);
    return new Report(List.copyOf(c.passed), List.copyOf(c.problems));
  }

  private void run(boolean finished) throws IOException {
    RunConfig cfg;
    try {
      cfg = Runs.config(runDir.resolve(Runs.CONFIG_FILE), List.of());
      passed.add(Runs.CONFIG_FILE + " parses");
    } catch (IOException | IllegalArgumentException e) {
      problems.add(Runs.CONFIG_FILE + ": " + e.getMessage());
      return;
    }
    String kind = RunKind.read(runDir).orElse("?");
    long lastStep = kind.equals("sft") ? cfg.sft().steps() : cfg.train().steps();
    String configHash = RunSetup.sha256(ConfigLoader.toYaml(cfg));
    long newest = checkCheckpoints(cfg, configHash, finished);
    long logged = checkMetrics(finished);
    if (finished) {
      if (logged != lastStep)
        problems.add(
            "metrics.jsonl ends at step " + logged + ", the run has " + lastStep + " steps");
      if (newest != lastStep)
        problems.add("newest checkpoint is step " + newest + ", expected step-" + lastStep);
    }
    if (kind.equals("grpo")) checkSamples(cfg, logged, finished);
  }

  /** Returns the newest step with a sound checkpoint (0 if none). */
  private long checkCheckpoints(RunConfig cfg, String configHash, boolean finished)
      throws IOException {
    Path root = Checkpoints.dir(runDir);
    if (!Files.isDirectory(root)) return 0;
    List<Path> entries;
    try (Stream<Path> s = Files.list(root)) {
      entries = s.sorted().toList();
    }
    long newest = 0;
    for (Path p : entries) {
      String name = p.getFileName().toString();
      if (name.startsWith(".tmp-")) {
        if (finished) problems.add(p + ": temporary folder left behind by a finished run");
        else
          passed.add(
              p + ": unfinished temporary folder (not a checkpoint; removed by the next save)");
        continue;
      }
      long step = Checkpoints.stepOf(p);
      if (!name.startsWith("step-") || step < 0) {
        problems.add(p + ": not a checkpoint folder (step-N) and not a temporary one");
        continue;
      }
      try {
        CheckpointManifest.verify(p);
        JsonNode state = Checkpoints.readState(p);
        if (state.path("step").asLong(-1) != step)
          problems.add(p + ": trainer_state.json says step " + state.path("step"));
        if (!configHash.equals(state.path("config_sha256").asText()))
          problems.add(p + ": written under another config.yaml");
        load(p, cfg);
        passed.add(p + ": manifest verifies, weights and optimizer state load");
        newest = Math.max(newest, step);
      } catch (IOException | RuntimeException e) {
        problems.add(p + ": " + e.getMessage());
      }
    }
    return newest;
  }

  private static void load(Path checkpoint, RunConfig cfg) throws IOException {
    try (PointerScope scope = new PointerScope()) {
      java.util.Collection<org.bytedeco.pytorch.Tensor> trained;
      if (java.nio.file.Files.isRegularFile(checkpoint.resolve(LoraAdapters.CONFIG_FILE))) {
        // a LoRA run's checkpoint: the adapters, shaped by the base model they were trained on
        Qwen2Config config;
        try (ModelFolder base = ModelFolder.open(Path.of(cfg.model().init()))) {
          config = base.config();
        }
        LoraAdapters adapters = LoraAdapters.load(checkpoint, config, new Device("cpu"));
        adapters.setRequiresGrad(true);
        trained = adapters.parameters().values();
      } else {
        Qwen2Config config = Qwen2Config.read(checkpoint.resolve("config.json"));
        Qwen2Model model =
            HfCheckpoint.loadWeights(checkpoint, config, DType.F32, new Device("cpu"));
        model.setRequiresGrad(true);
        trained = model.parameters().values();
      }
      AdamW opt = Optimizers.adamW(new ArrayList<>(trained), 1e-3, 0.9, 0.99, 0);
      Checkpoints.loadOptimizer(checkpoint, opt);
    }
  }

  /** Steps must run 1, 2, … with no gap or repeat; returns the last one. */
  private long checkMetrics(boolean finished) throws IOException {
    List<JsonNode> rows = rows(runDir.resolve("metrics.jsonl"), finished);
    long expect = 1;
    for (JsonNode r : rows) {
      long step = r.path("step").asLong(-1);
      if (step != expect) {
        problems.add(
            "metrics.jsonl: row "
                + expect
                + " has step "
                + step
                + " (expected "
                + expect
                + ": every step exactly once, in order)");
        return expect - 1;
      }
      expect++;
    }
    passed.add("metrics.jsonl: steps 1.." + (expect - 1) + ", each exactly once");
    return expect - 1;
  }

  private void checkSamples(RunConfig cfg, long lastMetricsStep, boolean finished)
      throws IOException {
    List<JsonNode> rows = rows(runDir.resolve("samples.jsonl"), finished);
    int perStep =
        Math.min(cfg.train().samplesPerStep(), cfg.data().promptsPerStep() * cfg.rl().groupSize());
    long[] count = new long[(int) lastMetricsStep + 2];
    long previous = 0;
    for (JsonNode r : rows) {
      long step = r.path("step").asLong(-1);
      // samples are written during a step, its metrics row after it: one step ahead is allowed
      // mid-run
      long limit = finished ? lastMetricsStep : lastMetricsStep + 1;
      if (step < previous || step < 1 || step > limit) {
        problems.add(
            "samples.jsonl: a row of step "
                + step
                + " after step "
                + previous
                + " (metrics end at step "
                + lastMetricsStep
                + ")");
        return;
      }
      previous = step;
      count[(int) step]++;
    }
    for (long s = 1; s <= lastMetricsStep; s++) {
      if (count[(int) s] != perStep) {
        problems.add(
            "samples.jsonl: step " + s + " has " + count[(int) s] + " rows, expected " + perStep);
        return;
      }
    }
    passed.add("samples.jsonl: " + perStep + " rows for each of steps 1.." + lastMetricsStep);
  }

  /**
   * Parsed lines; a torn last line (a kill mid-write) is allowed only while the run is unfinished.
   */
  private List<JsonNode> rows(Path file, boolean finished) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    if (!Files.exists(file)) return out;
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) continue;
      try {
        out.add(JSON.readTree(lines.get(i)));
      } catch (IOException e) {
        if (i == lines.size() - 1 && !finished) {
          passed.add(file.getFileName() + ": torn last line (dropped on resume)");
        } else {
          problems.add(
              file
                  + ":"
                  + (i + 1)
                  + ": not a JSON line: "
                  + e.getMessage().lines().findFirst().orElse(""));
        }
      }
    }
    return out;
  }
}
