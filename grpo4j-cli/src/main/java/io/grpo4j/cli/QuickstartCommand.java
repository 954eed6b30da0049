package io.grpo4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.config.ConfigLoader;
import io.grpo4j.config.RunConfig;
import io.grpo4j.report.ReportWriter;
import io.grpo4j.run.Evaluation;
import io.grpo4j.run.Runs;
import io.grpo4j.run.Tasks;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Task;
import io.grpo4j.torch.AtomicFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "quickstart",
    description = {
      "The whole loop on the embedded default: Countdown data -> tiny model -> (SFT) -> eval -> GRPO -> eval,",
      "with a before/after table and summary.json in the run folder."
    })
final class QuickstartCommand implements Callable<Integer> {
  @Option(
      names = "--out",
      defaultValue = "runs/quickstart",
      description = "Run folder (default: ${DEFAULT-VALUE}); must be new or empty.")
  Path out;

  @Option(
      names = "--budget-minutes",
      defaultValue = "10",
      description = "Wall-time budget of the GRPO phase (default: ${DEFAULT-VALUE}).")
  double budgetMinutes;

  @Option(
      names = "--from-scratch",
      description =
          "Run SFT from a fresh tiny model first instead of starting from the shipped SFT checkpoint.")
  boolean fromScratch;

  @Mixin PassAtKOptions pass;

  @Mixin ConfigOptions config;

  @Override
  public Integer call() throws Exception {
    if (Files.isDirectory(out)) {
      try (var s = Files.list(out)) {
        if (s.findAny().isPresent())
          throw new IllegalArgumentException(
              out + " is not empty: pass another --out or remove it");
      }
    }
    List<String> extra = new ArrayList<>();
    extra.add("train.budget_minutes=" + budgetMinutes);
    RunConfig cfg = config.load(extra);
    return run(cfg, Tasks.create(cfg));
  }

  private <D> int run(RunConfig cfg, Task<D> task) throws Exception {
    long t0 = System.nanoTime();
    Files.createDirectories(out);
    Path start;
    double sftSeconds = 0;
    if (fromScratch) {
      System.out.println("== 1/4 SFT from a freshly initialised tiny model");
      long s0 = System.nanoTime();
      start = Runs.sft(Runs.withInit(cfg, null), out.resolve("sft"), System.out);
      sftSeconds = (System.nanoTime() - s0) / 1e9;
    } else {
      if (cfg.model().init() == null || !Files.isDirectory(Path.of(cfg.model().init()))) {
        throw new IllegalArgumentException(
            "the SFT start "
                + cfg.model().init()
                + " is missing; run with --from-scratch to train it first");
      }
      start = Path.of(cfg.model().init());
      System.out.println(
          "== 1/4 starting from the shipped SFT checkpoint "
              + start
              + " (--from-scratch redoes SFT)");
    }
    List<Problem<D>> heldOut = task.draw(cfg.data().evalSeed(), cfg.data().evalSize());
    System.out.printf(
        "== 2/4 evaluating the SFT model on %d held-out problems (greedy)%n", heldOut.size());
    Evaluation before = Evaluation.run(cfg, task, heldOut, start, start, 0, System.out);
    Evaluation beforeSampled = sampled(cfg, task, heldOut, start);
    System.out.printf(
        "== 3/4 GRPO for up to %d steps within %.1f minutes%n",
        cfg.train().steps(), cfg.train().budgetMinutes());
    long g0 = System.nanoTime();
    Path grpo = Runs.grpo(Runs.withInit(cfg, start.toString()), out.resolve("grpo"), System.out);
    double grpoSeconds = (System.nanoTime() - g0) / 1e9;
    System.out.println("== 4/4 evaluating the GRPO model (KL drift against the SFT model)");
    Evaluation after = Evaluation.run(cfg, task, heldOut, grpo, start, 0, System.out);
    Evaluation afterSampled = sampled(cfg, task, heldOut, grpo);

    System.out.println();
    System.out.print(Evaluation.table(List.of("sft", "grpo"), List.of(before, after)));
    System.out.printf(
        "GRPO changed held-out greedy success by %+.1f points (%.1f%% -> %.1f%%), mean forward KL to the SFT model %.4f%n",
        100 * (after.scores().successRate() - before.scores().successRate()),
        100 * before.scores().successRate(),
        100 * after.scores().successRate(),
        after.klForward());
    if (beforeSampled != null) {
      System.out.printf(
          "sampled (%d problems x %d): pass@1 %.1f%% -> %.1f%%, pass@%d %.1f%% -> %.1f%%%n",
          beforeSampled.scores().prompts(),
          pass.k,
          100 * beforeSampled.passAtK().get(1),
          100 * afterSampled.passAtK().get(1),
          pass.k,
          100 * beforeSampled.passAtK().get(pass.k),
          100 * afterSampled.passAtK().get(pass.k));
    }

    ObjectNode summary = JsonOutput.JSON.createObjectNode();
    summary.set("sft", block(before, beforeSampled));
    summary.set("grpo", block(after, afterSampled));
    summary.put("sft_model", start.toString());
    summary.put("grpo_model", grpo.toString());
    summary.set("task", JsonOutput.JSON.valueToTree(cfg.task()));
    summary.set(
        "countdown", JsonOutput.JSON.readTree(JsonOutput.JSON.writeValueAsString(cfg.countdown())));
    summary.put("eval_size", heldOut.size());
    ObjectNode wall = summary.putObject("wall_seconds");
    wall.put("sft", sftSeconds);
    wall.put("grpo", grpoSeconds);
    wall.put("total", (System.nanoTime() - t0) / 1e9);
    summary.put("config", ConfigLoader.toYaml(cfg));
    AtomicFiles.writeString(
        out.resolve("summary.json"), JsonOutput.JSON.writeValueAsString(summary) + "\n");
    System.out.println("summary: " + out.resolve("summary.json"));
    ReportWriter.afterRun(out, System.out);
    return 0;
  }

  /** pass@k of {@code model} from passK samples per problem, or null when --pass-k is 0. */
  private <D> Evaluation sampled(RunConfig cfg, Task<D> task, List<Problem<D>> heldOut, Path model)
      throws java.io.IOException {
    int passK = pass.k();
    if (passK == 0) return null;
    List<Problem<D>> some = heldOut.subList(0, Math.min(pass.problems, heldOut.size()));
    System.out.printf(
        "   sampling %d answers for each of %d problems for pass@k%n", passK, some.size());
    return Evaluation.run(cfg, task, some, model, null, passK, System.out);
  }

  private static ObjectNode block(Evaluation e, Evaluation sampled) {
    ObjectNode o = JsonOutput.JSON.createObjectNode();
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
