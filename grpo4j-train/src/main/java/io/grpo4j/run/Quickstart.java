package io.grpo4j.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.config.ConfigLoader;
import io.grpo4j.config.RunConfig;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Task;
import io.grpo4j.torch.AtomicFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The quickstart pipeline ({@code grpo4j quickstart}): (SFT from a fresh tiny model, or the shipped
 * SFT checkpoint) → greedy held-out evaluation → GRPO → the same evaluation with the KL drift to
 * the start → a before/after table and {@code summary.json} in the run folder; with pass@k, sampled
 * evaluations of both models too.
 */
public final class Quickstart {
  /** Indented JSON, as the commands write their result files. */
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Quickstart() {}

  /**
   * @param out the run folder; must be new or empty
   * @param fromScratch run SFT from a fresh tiny model instead of starting from {@code model.init}
   * @param passK samples per held-out problem for pass@k; 0 = no sampled evaluation, else >= 2
   * @param passProblems held-out problems the sampled evaluation uses
   */
  public record Options(Path out, boolean fromScratch, int passK, int passProblems) {
    public Options {
      if (passK != 0 && passK < 2)
        throw new IllegalArgumentException("--pass-k must be 0 or >= 2, got " + passK);
      if (passK != 0 && passProblems < 1)
        throw new IllegalArgumentException("--pass-problems must be >= 1, got " + passProblems);
    }
  }

  /** Runs the pipeline on the task {@code cfg} names; returns the summary.json written. */
  public static Path run(RunConfig cfg, Options o, PrintStream log) throws IOException {
    if (Files.isDirectory(o.out())) {
      try (var s = Files.list(o.out())) {
        if (s.findAny().isPresent())
          throw new IllegalArgumentException(
              o.out() + " is not empty: pass another --out or remove it");
      }
    }
    Task<?> task = Tasks.create(cfg);
    try {
      return run(cfg, task, o, log);
    } finally {
      task.close();
    }
  }

  private static <D> Path run(RunConfig cfg, Task<D> task, Options o, PrintStream log)
      throws IOException {
    long t0 = System.nanoTime();
    Files.createDirectories(o.out());
    Path start;
    double sftSeconds = 0;
    if (o.fromScratch()) {
      log.println("== 1/4 SFT from a freshly initialised tiny model");
      long s0 = System.nanoTime();
      start = Runs.sft(Runs.withInit(cfg, null), o.out().resolve("sft"), log);
      sftSeconds = (System.nanoTime() - s0) / 1e9;
    } else {
      if (cfg.model().init() == null || !Files.isDirectory(Path.of(cfg.model().init()))) {
        throw new IllegalArgumentException(
            "the SFT start "
                + cfg.model().init()
                + " is missing; run with --from-scratch to train it first");
      }
      start = Path.of(cfg.model().init());
      log.println(
          "== 1/4 starting from the shipped SFT checkpoint "
              + start
              + " (--from-scratch redoes SFT)");
    }
    List<Problem<D>> heldOut = task.draw(cfg.data().evalSeed(), cfg.data().evalSize());
    log.printf(
        "== 2/4 evaluating the SFT model on %d held-out problems (greedy)%n", heldOut.size());
    Evaluation before = Evaluation.run(cfg, task, heldOut, start, start, 0, log);
    Evaluation beforeSampled = sampled(cfg, task, heldOut, start, o, log);
    log.printf(
        "== 3/4 GRPO for up to %d steps within %.1f minutes%n",
        cfg.train().steps(), cfg.train().budgetMinutes());
    long g0 = System.nanoTime();
    Path grpo = Runs.grpo(Runs.withInit(cfg, start.toString()), o.out().resolve("grpo"), log);
    double grpoSeconds = (System.nanoTime() - g0) / 1e9;
    log.println("== 4/4 evaluating the GRPO model (KL drift against the SFT model)");
    Evaluation after = Evaluation.run(cfg, task, heldOut, grpo, start, 0, log);
    Evaluation afterSampled = sampled(cfg, task, heldOut, grpo, o, log);

    log.println();
    log.print(Evaluation.table(List.of("sft", "grpo"), List.of(before, after)));
    log.printf(
        "GRPO changed held-out greedy success by %+.1f points (%.1f%% -> %.1f%%), mean forward KL to the SFT model %.4f%n",
        100 * (after.scores().successRate() - before.scores().successRate()),
        100 * before.scores().successRate(),
        100 * after.scores().successRate(),
        after.klForward());
    if (beforeSampled != null) {
      log.printf(
          "sampled (%d problems x %d): pass@1 %.1f%% -> %.1f%%, pass@%d %.1f%% -> %.1f%%%n",
          beforeSampled.scores().prompts(),
          o.passK(),
          100 * beforeSampled.passAtK().get(1),
          100 * afterSampled.passAtK().get(1),
          o.passK(),
          100 * beforeSampled.passAtK().get(o.passK()),
          100 * afterSampled.passAtK().get(o.passK()));
    }

    ObjectNode summary = JSON.createObjectNode();
    summary.set("sft", block(before, beforeSampled));
    summary.set("grpo", block(after, afterSampled));
    summary.put("sft_model", start.toString());
    summary.put("grpo_model", grpo.toString());
    summary.set("task", JSON.valueToTree(cfg.task()));
    summary.set("countdown", JSON.readTree(JSON.writeValueAsString(cfg.countdown())));
    summary.put("eval_size", heldOut.size());
    ObjectNode wall = summary.putObject("wall_seconds");
    wall.put("sft", sftSeconds);
    wall.put("grpo", grpoSeconds);
    wall.put("total", (System.nanoTime() - t0) / 1e9);
    summary.put("config", ConfigLoader.toYaml(cfg));
    AtomicFiles.writeString(
        o.out().resolve("summary.json"), JSON.writeValueAsString(summary) + "\n");
    Path summaryFile = o.out().resolve("summary.json");
    log.println("summary: " + summaryFile);
    return summaryFile;
  }

  /** pass@k of {@code model} from passK samples per problem, or null when --pass-k is 0. */
  private static <D> Evaluation sampled(
      RunConfig cfg, Task<D> task, List<Problem<D>> heldOut, Path model, Options o, PrintStream log)
      throws IOException {
    int passK = o.passK();
    if (passK == 0) return null;
    List<Problem<D>> some = heldOut.subList(0, Math.min(o.passProblems(), heldOut.size()));
    log.printf("   sampling %d answers for each of %d problems for pass@k%n", passK, some.size());
    return Evaluation.run(cfg, task, some, model, null, passK, log);
  }

  private static ObjectNode block(Evaluation e, Evaluation sampled) {
    ObjectNode o = JSON.createObjectNode();
    if (sampled != null) sampled.passAtK().forEach((k, v) -> o.put("pass@" + k, v));
    o.put("success_rate", e.scores().successRate());
    o.put("reward_per_prompt", e.scores().rewardPerPrompt());
    o.put("reward_per_token", e.scores().rewardPerToken());
    o.put("kl_forward", e.klForward());
    o.put("kl_reverse", e.klReverse());
    o.put("mean_len", e.scores().meanLength());
    return o;
  }
}
