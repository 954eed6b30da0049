package io.grpo4j.run;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpo4j.config.ConfigLoader;
import io.grpo4j.config.RunConfig;
import io.grpo4j.dist.DistEnv;
import io.grpo4j.dist.DistGroup;
import io.grpo4j.metrics.MetricsLog;
import io.grpo4j.model.LoraAdapters;
import io.grpo4j.model.MaskedDiffusionModel;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.ModelKind;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.model.TinyPreset;
import io.grpo4j.rl.AStarPo;
import io.grpo4j.rl.Algorithm;
import io.grpo4j.task.Task;
import io.grpo4j.torch.AtomicFiles;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Torch;
import io.grpo4j.train.Checkpoints;
import io.grpo4j.train.DiffusionGrpoTrainer;
import io.grpo4j.train.DiffusionSftTrainer;
import io.grpo4j.train.GrpoTrainer;
import io.grpo4j.train.RunSetup;
import io.grpo4j.train.SftTrainer;
import io.grpo4j.train.Trainable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
    return sft(cfg, runDir, null, out);
  }

  /**
   * Supervised warm-start on a given task (null: the task {@code task.name} names); returns the
   * final checkpoint folder.
   */
  public static Path sft(RunConfig cfg, Path runDir, Task<?> task, PrintStream out)
      throws IOException {
    try (DistGroup group = join(cfg)) {
      out = quietUnlessMain(group, out);
      if (group.isMain()) fresh(runDir, "sft", out);
      init(cfg, group);
      if (cfg.model().init() == null) {
        Path initDir = runDir.resolve("init-model");
        if (group.isMain()) {
          boolean mdm = cfg.model().kind() == ModelKind.MASKED_DIFFUSION;
          out.printf(
              "model.init not set: initialising the tiny%s preset (seed %d) in %s%n",
              mdm ? " masked-diffusion" : "", cfg.seed(), initDir);
          if (mdm) {
            TinyPreset.writeDiffusion(initDir, cfg.seed(), DType.F32);
          } else {
            TinyPreset.write("tiny", initDir, cfg.seed(), DType.F32);
          }
        }
        cfg = withInit(cfg, initDir.toString());
      }
      if (group.isMain()) writeConfig(runDir, cfg);
      group.barrier(); // the run folder is set up before any rank reads it
      return runSft(new Job(cfg, runDir, task, out, group), 0, null);
    }
  }

  /** GRPO from {@code model.init} into {@code runDir}; returns the final checkpoint folder. */
  public static Path grpo(RunConfig cfg, Path runDir, PrintStream out) throws IOException {
    return grpo(cfg, runDir, null, out);
  }

  /**
   * GRPO on a given task (null: the task {@code task.name} names); returns the final checkpoint
   * folder.
   */
  public static Path grpo(RunConfig cfg, Path runDir, Task<?> task, PrintStream out)
      throws IOException {
    if (cfg.model().init() == null) {
      throw new IllegalArgumentException(
          "model.init is not set: pass --init MODEL_DIR or --set model.init=DIR "
              + "(for the tiny Countdown recipe, models/countdown-tiny-sft, or the output of 'grpo4j sft')");
    }
    try (DistGroup group = join(cfg)) {
      out = quietUnlessMain(group, out);
      if (group.isMain()) {
        fresh(runDir, "grpo", out);
        writeConfig(runDir, cfg);
      }
      group.barrier(); // the run folder is set up before any rank goes on
      return runGrpo(new Job(cfg, runDir, task, out, group), 1, null);
    }
  }

  /**
   * This process's group: a process on its own, or a rank of the data-parallel job its environment
   * describes (RANK, WORLD_SIZE, ...; docs/distributed.md). Blocks until every rank has joined.
   */
  static DistGroup join(RunConfig cfg) {
    DistEnv env = DistEnv.fromEnvironment();
    RunConfig.Distributed d = cfg.distributed();
    return DistGroup.join(
        env,
        d.backend(),
        device(cfg, env),
        Duration.ofSeconds(d.initTimeoutS()),
        Duration.ofSeconds(d.timeoutS()));
  }

  /** {@code model.device}; on CUDA a rank of a job takes {@code cuda:LOCAL_RANK}. */
  static String device(RunConfig cfg, DistEnv env) {
    String d = cfg.model().device();
    return env.distributed() && d.trim().toLowerCase(java.util.Locale.ROOT).startsWith("cuda")
        ? "cuda:" + env.localRank()
        : d;
  }

  /** Only rank 0 reports progress; the others' lines would repeat it. */
  private static PrintStream quietUnlessMain(DistGroup group, PrintStream out) {
    return group.isMain() ? out : new PrintStream(OutputStream.nullOutputStream());
  }

  /**
   * Continues a killed or finished-early run from its newest checkpoint whose manifest verifies
   * (falling back to the previous one, and saying so, when the newest is damaged). A run killed
   * before its first checkpoint starts again from step 1. Metrics and samples rows written after
   * the checkpoint are dropped first, so every step appears exactly once.
   */
  public static Path resume(Path runDir, PrintStream out) throws IOException {
    return resume(runDir, null, out);
  }

  /** {@link #resume(Path, PrintStream)} with a given task (null: the one the config names). */
  public static Path resume(Path runDir, Task<?> task, PrintStream out) throws IOException {
    Path cfgFile = runDir.resolve(CONFIG_FILE);
    if (!Files.isRegularFile(cfgFile))
      throw new java.nio.file.NoSuchFileException(cfgFile + " (not a grpo4j run folder?)");
    RunConfig cfg = config(cfgFile, List.of());
    try (DistGroup group = join(cfg)) {
      out = quietUnlessMain(group, out);
      Job job = new Job(cfg, runDir, task, out, group);
      // rank 0 picks the checkpoint (setting damaged ones aside); the others take the same step
      Optional<Path> latest =
          group.isMain() ? Checkpoints.latestVerified(runDir, out) : Optional.empty();
      long picked =
          (long) group.max(group.isMain() ? latest.map(Checkpoints::stepOf).orElse(0L) : -1)[0];
      if (!group.isMain() && picked > 0) latest = Optional.of(Checkpoints.stepDir(runDir, picked));
      if (latest.isEmpty()) {
        String kind =
            RunKind.read(runDir)
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            runDir
                                + " has no complete checkpoint to resume from; start it again with 'grpo4j train'"));
        if (group.isMain()) truncateLogs(runDir, 0);
        out.printf(
            "no complete checkpoint in %s yet: starting the %s run again from step 1%n",
            runDir, kind);
        group.barrier();
        return continueRun(job, kind, 0, null, runDir.resolve(RunKind.FILE));
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
      int ranks = state.path("world_size").asInt(1);
      if (ranks != group.worldSize()) {
        throw new IllegalArgumentException(
            latest.get()
                + " was written by a run of "
                + ranks
                + " rank(s), but WORLD_SIZE is "
                + group.worldSize()
                + " now: resume it with "
                + ranks
                + " rank(s) (each rank's rollout seed depends on the world size)");
      }
      long step = state.path("step").asLong();
      String kind = state.path("kind").asText();
      if (group.isMain()) truncateLogs(runDir, step);
      out.printf("resuming %s run %s from %s (step %d)%n", kind, runDir, latest.get(), step);
      group.barrier(); // the logs are truncated before any rank goes on
      return continueRun(
          job, kind, step, latest.get(), latest.get().resolve(Checkpoints.STATE_FILE));
    }
  }

  /**
   * Runs the {@code kind} run ({@code grpo} or {@code sft}) on from step {@code done + 1}, from
   * {@code checkpoint} (null: from {@code model.init}); {@code source} is the file the kind was
   * read from, named when the kind is unknown.
   */
  private static Path continueRun(Job job, String kind, long done, Path checkpoint, Path source)
      throws IOException {
    return switch (kind) {
      case "grpo" -> runGrpo(job, done + 1, checkpoint);
      case "sft" -> runSft(job, done, checkpoint);
      default -> throw new IllegalArgumentException(source + ": unknown run kind '" + kind + "'");
    };
  }

  /** Drops metrics and samples rows of steps after {@code step} (and a torn last line). */
  private static void truncateLogs(Path runDir, long step) throws IOException {
    MetricsLog.truncateAfter(runDir.resolve("metrics.jsonl"), step);
    MetricsLog.truncateAfter(runDir.resolve("samples.jsonl"), step);
  }

  /**
   * One run as this process takes part in it: its config and folder, the task given by the caller
   * (null: the one {@code task.name} names), where progress goes, and the rank group.
   */
  private record Job(RunConfig cfg, Path runDir, Task<?> given, PrintStream out, DistGroup group) {}

  /** What a run kind does with the opened {@code model.init} folder and its trainable weights. */
  private interface RunBody {
    void run(ModelFolder folder, RunSetup<?> setup, Qwen2Model trainable) throws IOException;
  }

  /**
   * The preamble both run kinds share: opens {@code model.init}, checks the disk (main rank),
   * builds the {@link RunSetup}, loads the f32 trainable weights onto {@code on} (from {@code
   * checkpoint}, or from {@code model.init} when it is null), runs {@code body}, closes a task it
   * created, and returns the run's latest checkpoint.
   */
  private static Path train(Job job, Path checkpoint, Device on, RunBody body) throws IOException {
    RunConfig cfg = job.cfg();
    Path runDir = job.runDir();
    Task<?> given = job.given();
    Task<?> task = given != null ? given : Tasks.create(cfg);
    try (ModelFolder folder = ModelFolder.open(Path.of(cfg.model().init()))) {
      if (job.group().isMain()) {
        RunPreflight.check(
            runDir,
            Trainable.parameterCount(cfg, folder.config()),
            DType.parse(cfg.model().saveDtype()));
      }
      RunSetup<?> setup = RunSetup.of(cfg, runDir, task, folder);
      Qwen2Model trainable = Trainable.load(cfg, folder, checkpoint, on);
      body.run(folder, setup, trainable);
    } finally {
      if (given == null) task.close();
    }
    return Checkpoints.latest(runDir).orElseThrow();
  }

  /** What a masked-diffusion run kind does with its opened folder and trainable weights. */
  private interface DiffusionBody {
    void run(ModelFolder folder, RunSetup<?> setup, MaskedDiffusionModel trainable)
        throws IOException;
  }

  /**
   * {@link #train} for {@code model.architecture: masked_diffusion}: opens {@code model.init} as a
   * diffusion folder (an autoregressive one is refused, naming it) and loads the f32 weights. One
   * process only.
   */
  private static Path trainDiffusion(Job job, Path checkpoint, Device on, DiffusionBody body)
      throws IOException {
    RunConfig cfg = job.cfg();
    if (job.group().worldSize() > 1)
      throw new IllegalArgumentException(
          "model.architecture=masked_diffusion runs in one process; WORLD_SIZE is "
              + job.group().worldSize());
    Task<?> given = job.given();
    Task<?> task = given != null ? given : Tasks.create(cfg);
    try (ModelFolder folder = ModelFolder.openDiffusion(Path.of(cfg.model().init()))) {
      RunPreflight.check(
          job.runDir(), folder.config().parameterCount(), DType.parse(cfg.model().saveDtype()));
      RunSetup<?> setup = RunSetup.of(cfg, job.runDir(), task, folder);
      MaskedDiffusionModel trainable =
          checkpoint == null
              ? folder.loadDiffusionModel(DType.F32, on)
              : io.grpo4j.model.HfCheckpoint.loadDiffusion(
                  checkpoint, folder.diffusionConfig(), DType.F32, on);
      body.run(folder, setup, trainable);
    } finally {
      if (given == null) task.close();
    }
    return Checkpoints.latest(job.runDir()).orElseThrow();
  }

  private static Path runDiffusionGrpo(Job job, long firstStep, Path checkpoint, Device device)
      throws IOException {
    RunConfig cfg = job.cfg();
    PrintStream out = job.out();
    DiffusionBody body =
        (folder, setup, policy) -> {
          boolean needRef = cfg.rl().kl().forward() > 0 || cfg.rl().kl().reverse() > 0;
          MaskedDiffusionModel reference =
              needRef ? folder.loadDiffusionModel(DType.F32, device) : null;
          DiffusionGrpoTrainer<?> trainer =
              new DiffusionGrpoTrainer<>(setup, policy, reference, out);
          if (checkpoint != null) {
            Checkpoints.loadOptimizer(checkpoint, trainer.optimizer());
            trainer.restore(Checkpoints.readState(checkpoint));
          }
          if (firstStep == 1) {
            RunConfig.Diffusion d = cfg.diffusion();
            out.printf(
                "GRPO (masked diffusion): %s (%,d parameters), %d steps of %d prompts x %d samples,"
                    + " L %d, T %d, likelihood %s, advantage %s, lambda_F %.3g, lambda_R %.3g;"
                    + " run folder %s%n",
                folder.dir(),
                policy.config().backbone().parameterCount(),
                cfg.train().steps(),
                cfg.data().promptsPerStep(),
                cfg.rl().groupSize(),
                d.genLength(),
                d.steps(),
                d.likelihood().configName(),
                d.advantage().configName(),
                cfg.rl().kl().forward(),
                cfg.rl().kl().reverse(),
                job.runDir());
          }
          trainer.train(firstStep);
        };
    return trainDiffusion(job, checkpoint, device, body);
  }

  private static Path runGrpo(Job job, long firstStep, Path checkpoint) throws IOException {
    RunConfig cfg = job.cfg();
    if (cfg.model().kind() == ModelKind.MASKED_DIFFUSION)
      return runDiffusionGrpo(job, firstStep, checkpoint, init(cfg, job.group()));
    PrintStream out = job.out();
    Device device = init(cfg, job.group());
    // offload_optimizer: the f32 master (and so AdamW's state) in host memory
    Device master = cfg.model().offloadOptimizer() ? new Device("cpu") : device;
    RunBody body =
        (folder, setup, policy) -> {
          boolean needRef =
              cfg.rl().kl().forward() > 0
                  || cfg.rl().kl().reverse() > 0
                  || cfg.rl().algorithm() == Algorithm.ASTAR_PO;
          // with LoRA, π_ref is the frozen base itself: the policy without its adapters
          Qwen2Model reference =
              !needRef
                  ? null
                  : policy.lora() != null
                      ? policy.base()
                      : folder.loadMerged(
                          DType.resolve(cfg.model().dtype(), cfg.model().device()), device);
          GrpoTrainer<?> trainer = new GrpoTrainer<>(setup, policy, reference, out, job.group());
          if (checkpoint != null) {
            Checkpoints.loadOptimizer(checkpoint, trainer.optimizer());
            trainer.restore(Checkpoints.readState(checkpoint));
          }
          if (firstStep == 1 && cfg.rl().algorithm() == Algorithm.ASTAR_PO) {
            AStarPo a = cfg.rl().astar();
            out.printf(
                "A*-PO: %s (%,d parameters), %d steps of %d prompts x 1 sample, V* from %d samples"
                    + " of pi_ref for each of %d prompts, beta1 %.3g, beta2 %.3g; run folder %s%n",
                folder.dir(),
                policy.config().parameterCount(),
                cfg.train().steps(),
                cfg.data().promptsPerStep(),
                a.samples(),
                a.prompts(),
                a.beta1(),
                a.beta2(),
                job.runDir());
          } else if (firstStep == 1) {
            out.printf(
                "GRPO: %s (%,d parameters%s), %d steps of %d prompts x %d samples, advantage %s, lambda_F %.3g, lambda_R %.3g; run folder %s%n",
                folder.dir(),
                policy.config().parameterCount(),
                loraNote(policy),
                cfg.train().steps(),
                cfg.data().promptsPerStep(),
                cfg.rl().groupSize(),
                cfg.rl().advantage().mode().configName(),
                cfg.rl().kl().forward(),
                cfg.rl().kl().reverse(),
                job.runDir());
          }
          trainer.train(firstStep);
        };
    return train(job, checkpoint, master, body);
  }

  /** SFT from step {@code step + 1}, from {@code checkpoint} or (null) from {@code model.init}. */
  private static Path runSft(Job job, long step, Path checkpoint) throws IOException {
    RunConfig cfg = job.cfg();
    PrintStream out = job.out();
    Device device = init(cfg, job.group());
    if (cfg.model().kind() == ModelKind.MASKED_DIFFUSION) {
      DiffusionBody body =
          (folder, setup, model) -> {
            DiffusionSftTrainer<?> trainer = new DiffusionSftTrainer<>(setup, model, out);
            if (checkpoint != null) {
              Checkpoints.loadOptimizer(checkpoint, trainer.optimizer());
            } else {
              out.printf(
                  "SFT (masked diffusion, L %d): %s (%,d parameters) for %d steps of %d examples;"
                      + " run folder %s%n",
                  cfg.diffusion().genLength(),
                  folder.dir(),
                  model.config().backbone().parameterCount(),
                  cfg.sft().steps(),
                  cfg.sft().batchSize(),
                  job.runDir());
            }
            trainer.train(step + 1);
          };
      return trainDiffusion(job, checkpoint, device, body);
    }
    RunBody body =
        (folder, setup, model) -> {
          SftTrainer<?> trainer = new SftTrainer<>(setup, model, out, job.group());
          if (checkpoint != null) {
            Checkpoints.loadOptimizer(checkpoint, trainer.optimizer());
          } else {
            out.printf(
                "SFT: %s (%,d parameters%s) for %d steps of %d examples; run folder %s%n",
                folder.dir(),
                model.config().parameterCount(),
                loraNote(model),
                cfg.sft().steps(),
                cfg.sft().batchSize(),
                job.runDir());
          }
          trainer.train(step + 1);
        };
    return train(job, checkpoint, device, body);
  }

  /** ", LoRA r=16 (…): 1,234 trainable" for an adapted model, else nothing. */
  private static String loraNote(Qwen2Model m) {
    LoraAdapters a = m.lora();
    if (a == null) return "";
    return String.format(
        ", LoRA r=%d alpha=%s on %s: %,d trainable",
        a.config().r(),
        a.config().alpha(),
        String.join("/", a.config().targetModules()),
        a.parameterCount());
  }

  /**
   * libtorch's threads and seed, and the device. Ranks sharing a CPU node split its cores: with
   * {@code model.threads} 0, each of LOCAL_WORLD_SIZE ranks takes cores / LOCAL_WORLD_SIZE.
   */
  private static Device init(RunConfig cfg, DistGroup group) {
    DistEnv env = group.env();
    int threads = cfg.model().threads();
    if (threads == 0 && env.localWorldSize() > 1 && device(cfg, env).equals("cpu")) {
      threads = Math.max(1, Runtime.getRuntime().availableProcessors() / env.localWorldSize());
    }
    Torch.init(threads, cfg.seed());
    return Torch.device(device(cfg, env));
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
            m.sharePrompt(),
            m.offloadOptimizer(),
            m.lora(),
            m.architecture()),
        c.task(),
        c.countdown(),
        c.data(),
        c.sampling(),
        c.rl(),
        c.train(),
        c.sft(),
        c.logging(),
        c.reward(),
        c.distributed(),
        c.diffusion(),
        c.env());
  }
}
