package io.grpo4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.model.TinyPreset;
import io.grpo4j.torch.AtomicFiles;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Torch;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.bytedeco.pytorch.Device;

/**
 * Starting and resuming runs. A run folder holds {@code config.yaml} (the resolved config), {@code
 * metrics.jsonl}, {@code samples.jsonl} (GRPO) and {@code checkpoints/step-N/}.
 */
public final class Runs {
  public static final String CONFIG_FILE = "config.yaml";

  private Runs() {}

  /** Defaults ← YAML file (may be null) ← {@code --set} overrides. */
  public static RunConfig config(Path file, List<String> overrides) throws IOException {
    return ConfigLoader.load(RunConfig.class, RunConfig.defaults(), file, overrides);
  }

  /** Supervised warm-start into {@code runDir}; returns the final checkpoint folder. */
  public static Path sft(RunConfig cfg, Path runDir, PrintStream out) throws IOException {
    fresh(runDir, "sft", out);
    init(cfg);
    if (cfg.model().init() == null) {
      Path initDir = runDir.resolve("init-model");
      out.printf(
          "model.init not set: initialising the tiny preset (seed %d) in %s%n",
          cfg.seed(), initDir);
      TinyPreset.write("tiny", initDir, cfg.seed(), DType.F32);
      cfg = withInit(cfg, initDir.toString());
    }
    writeConfig(runDir, cfg);
    return runSft(cfg, runDir, 0, null, out);
  }

  /** GRPO from {@code model.init} into {@code runDir}; returns the final checkpoint folder. */
  public static Path grpo(RunConfig cfg, Path runDir, PrintStream out) throws IOException {
    if (cfg.model().init() == null) {
      throw new IllegalArgumentException(
          "model.init is not set: pass --init MODEL_DIR or --set model.init=DIR "
              + "(for the tiny Countdown recipe, models/countdown-tiny-sft, or the output of 'grpo4j sft')");
    }
    fresh(runDir, "grpo", out);
    writeConfig(runDir, cfg);
    return runGrpo(cfg, runDir, 1, null, out);
  }

  /**
   * Continues a killed or finished-early run from its newest checkpoint whose manifest verifies
   * (falling back to the previous one, and saying so, when the newest is damaged). A run killed
   * before its first checkpoint starts again from step 1. Metrics and samples rows written after
   * the checkpoint are dropped first, so every step appears exactly once.
   */
  public static Path resume(Path runDir, PrintStream out) throws IOException {
    Path cfgFile = runDir.resolve(CONFIG_FILE);
    if (!Files.isRegularFile(cfgFile))
      throw new java.nio.file.NoSuchFileException(cfgFile + " (not a grpo4j run folder?)");
    RunConfig cfg = config(cfgFile, List.of());
    Optional<Path> latest = Checkpoints.latestVerified(runDir, out);
    if (latest.isEmpty()) {
      String kind =
          RunKind.read(runDir)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          runDir
                              + " has no complete checkpoint to resume from; start it again with 'grpo4j train'"));
      truncateLogs(runDir, 0);
      out.printf(
          "no complete checkpoint in %s yet: starting the %s run again from step 1%n",
          runDir, kind);
      if (kind.equals("grpo")) return runGrpo(cfg, runDir, 1, null, out);
      if (kind.equals("sft")) return runSft(cfg, runDir, 0, null, out);
      throw new IllegalArgumentException(
          runDir.resolve(RunKind.FILE) + ": unknown run kind '" + kind + "'");
    }
    JsonNode state = Checkpoints.readState(latest.get());
    String hash = RunSetup.sha256(ConfigLoader.toYaml(cfg));
    if (!hash.equals(state.path("config_sha256").asText())) {
      throw new IllegalArgumentException(
          cfgFile
              + " changed since "
              + latest.get()
              + " was written; resuming would mix two configs");
    }
    long step = state.path("step").asLong();
    String kind = state.path("kind").asText();
    truncateLogs(runDir, step);
    out.printf("resuming %s run %s from %s (step %d)%n", kind, runDir, latest.get(), step);
    if (kind.equals("grpo")) return runGrpo(cfg, runDir, step + 1, latest.get(), out);
    if (kind.equals("sft")) return runSft(cfg, runDir, step, latest.get(), out);
    throw new IllegalArgumentException(
        latest.get().resolve(Checkpoints.STATE_FILE) + ": unknown run kind '" + kind + "'");
  }

  /** Drops metrics and samples rows of steps after {@code step} (and a torn last line). */
  private static void truncateLogs(Path runDir, long step) throws IOException {
    MetricsLog.truncateAfter(runDir.resolve("metrics.jsonl"), step);
    MetricsLog.truncateAfter(runDir.resolve("samples.jsonl"), step);
  }

  private static Path runGrpo(
      RunConfig cfg, Path runDir, long firstStep, Path checkpoint, PrintStream out)
      throws IOException {
    Device device = init(cfg);
    Path initDir = Path.of(cfg.model().init());
    try (ModelFolder folder = ModelFolder.open(initDir)) {
      RunPreflight.check(
          runDir, folder.config().parameterCount(), DType.parse(cfg.model().saveDtype()));
      RunSetup<?> setup = RunSetup.of(cfg, runDir, Tasks.create(cfg), folder);
      Qwen2Model policy =
          checkpoint == null
              ? folder.loadModel(DType.F32, device)
              : io.grpo4j.model.HfCheckpoint.loadWeights(
                  checkpoint, folder.config(), DType.F32, device);
      boolean needRef = cfg.rl().kl().forward() > 0 || cfg.rl().kl().reverse() > 0;
      Qwen2Model reference =
          needRef ? folder.loadModel(DType.parse(cfg.model().dtype()), device) : null;
      GrpoTrainer<?> trainer = new GrpoTrainer<>(setup, policy, reference, out);
      if (checkpoint != null) {
        Checkpoints.loadOptimizer(checkpoint, trainer.optimizer());
        trainer.restore(Checkpoints.readState(checkpoint));
      }
      if (firstStep == 1) {
        out.printf(
            "GRPO: %s (%,d parameters), %d steps of %d prompts x %d samples, advantage %s, lambda_F %.3g, lambda_R %.3g; run folder %s%n",
            initDir,
            policy.config().parameterCount(),
            cfg.train().steps(),
            cfg.data().promptsPerStep(),
            cfg.rl().groupSize(),
            cfg.rl().advantage().mode().configName,
            cfg.rl().kl().forward(),
            cfg.rl().kl().reverse(),
            runDir);
      }
      trainer.train(firstStep);
    }
    return Checkpoints.latest(runDir).orElseThrow();
  }

  /** SFT from step {@code step + 1}, from {@code checkpoint} or (null) from {@code model.init}. */
  private static Path runSft(
      RunConfig cfg, Path runDir, long step, Path checkpoint, PrintStream out) throws IOException {
    Device device = init(cfg);
    Path initDir = Path.of(cfg.model().init());
    try (ModelFolder folder = ModelFolder.open(initDir)) {
      RunPreflight.check(
          runDir, folder.config().parameterCount(), DType.parse(cfg.model().saveDtype()));
      RunSetup<?> setup = RunSetup.of(cfg, runDir, Tasks.create(cfg), folder);
      Qwen2Model model =
          checkpoint == null
              ? folder.loadModel(DType.F32, device)
              : io.grpo4j.model.HfCheckpoint.loadWeights(
                  checkpoint, folder.config(), DType.F32, device);
      SftTrainer<?> trainer = new SftTrainer<>(setup, model, out);
      if (checkpoint != null) {
        Checkpoints.loadOptimizer(checkpoint, trainer.optimizer());
      } else {
        out.printf(
            "SFT: %s (%,d parameters) for %d steps of %d examples; run folder %s%n",
            initDir,
            model.config().parameterCount(),
            cfg.sft().steps(),
            cfg.sft().batchSize(),
            runDir);
      }
      trainer.train(step + 1);
    }
    return Checkpoints.latest(runDir).orElseThrow();
  }

  private static Device init(RunConfig cfg) {
    Torch.init(cfg.model().threads(), cfg.seed());
    return Torch.device(cfg.model().device());
  }

  /**
   * A run must start in an empty or new folder; a folder with steps is resumed instead. A folder
   * left by a start that never finished step 1 (a wrong {@code model.init}, a crash while loading)
   * holds nothing but what that start wrote: it is cleared, so the same command can be run again.
   */
  private static void fresh(Path runDir, String kind, PrintStream out) throws IOException {
    if (Files.isDirectory(runDir) && neverStarted(runDir)) {
      out.printf("%s holds a start that never finished step 1: starting afresh%n", runDir);
      for (String name : START_FILES) Checkpoints.deleteTree(runDir.resolve(name));
    }
    if (Files.isDirectory(runDir)) {
      try (var s = Files.list(runDir)) {
        if (s.findAny().isPresent()) {
          throw new IllegalArgumentException(
              runDir
                  + " is not empty: continue it with 'grpo4j train --resume "
                  + runDir
                  + "' or choose another --out");
        }
      }
    }
    RunPreflight.requireWritable(runDir);
    RunKind.write(runDir, kind);
  }

  /** Everything a start writes before step 1 completes. */
  private static final List<String> START_FILES =
      List.of(
          RunKind.FILE, CONFIG_FILE, "metrics.jsonl", "samples.jsonl", "init-model", "checkpoints");

  /**
   * True for a folder written by a start that never logged a step: it has {@link RunKind#FILE},
   * only {@link #START_FILES}, an empty (or no) metrics.jsonl and no checkpoint.
   */
  static boolean neverStarted(Path runDir) throws IOException {
    if (!Files.isRegularFile(runDir.resolve(RunKind.FILE))) return false;
    try (var s = Files.list(runDir)) {
      if (!s.allMatch(p -> START_FILES.contains(p.getFileName().toString()))) return false;
    }
    Path metrics = runDir.resolve("metrics.jsonl");
    if (Files.exists(metrics) && Files.size(metrics) > 0) return false;
    Path checkpoints = runDir.resolve("checkpoints");
    if (!Files.isDirectory(checkpoints)) return !Files.exists(checkpoints);
    try (var s = Files.list(checkpoints)) {
      return s.findAny().isEmpty();
    }
  }

  private static void writeConfig(Path runDir, RunConfig cfg) throws IOException {
    AtomicFiles.writeString(runDir.resolve(CONFIG_FILE), ConfigLoader.toYaml(cfg));
  }

  /** The same config starting from another model folder ({@code model.init}). */
  public static RunConfig withInit(RunConfig c, String init) {
    RunConfig.Model m = c.model();
    return new RunConfig(
        c.seed(),
        new RunConfig.Model(
            init,
            m.dtype(),
            m.device(),
            m.threads(),
            m.saveDtype(),
            m.gradientCheckpointing(),
            m.logitsChunk(),
            m.sharePrompt()),
        c.task(),
        c.countdown(),
        c.data(),
        c.sampling(),
        c.rl(),
        c.train(),
        c.sft());
  }
}
