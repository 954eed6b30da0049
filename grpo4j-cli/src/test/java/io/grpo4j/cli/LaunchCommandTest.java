package io.grpo4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpo4j.audit.RunCheck;
import io.grpo4j.metrics.MetricsLog;
import io.grpo4j.train.Checkpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code grpo4j launch --nproc 2 -- train ...} on the tiny model: one consistent set of artifacts
 * (each metrics step once, checkpoints that load), and {@code --resume} through the launcher redoes
 * a step whose checkpoint was lost with the same result.
 */
class LaunchCommandTest {
  @TempDir Path tmp;

  private static int grpo4j(String... args) {
    return Main.commandLine().execute(args);
  }

  @Test
  void twoRanksWriteOneRunAndResumeIt() throws Exception {
    Path run = tmp.resolve("run");
    int rc =
        grpo4j(
            "launch",
            "--nproc",
            "2",
            "--",
            "train",
            "--init",
            "models/countdown-tiny-sft",
            "--out",
            run.toString(),
            "--set",
            "train.steps=3",
            "--set",
            "train.save_every=1",
            "--set",
            "train.eval_every=3",
            "--set",
            "data.prompts_per_step=4",
            "--set",
            "rl.group_size=2",
            "--set",
            "sampling.max_new_tokens=12",
            "--set",
            "data.eval_size=4",
            "--set",
            "train.samples_per_step=2");
    assertEquals(0, rc);
    RunCheck.Report audit = RunCheck.audit(run, true);
    assertTrue(audit.ok(), audit.problems().toString());
    List<JsonNode> rows = MetricsLog.read(run.resolve("metrics.jsonl"));
    assertEquals(List.of(1L, 2L, 3L), rows.stream().map(r -> r.path("step").asLong()).toList());
    assertTrue(rows.get(2).has("eval/success_rate"));
    // lose the last checkpoint: the resumed 2-rank run redoes step 3 exactly
    try (var files = Files.walk(Checkpoints.dir(run).resolve("step-3"))) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
    }
    assertEquals(0, grpo4j("launch", "--nproc", "2", "--", "train", "--resume", run.toString()));
    RunCheck.Report again = RunCheck.audit(run, true);
    assertTrue(again.ok(), again.problems().toString());
    List<JsonNode> resumed = MetricsLog.read(run.resolve("metrics.jsonl"));
    assertEquals(3, resumed.size());
    for (String key : List.of("reward/mean", "loss/total", "kl/forward", "grad_norm")) {
      assertEquals(
          rows.get(2).path(key).asDouble(), resumed.get(2).path(key).asDouble(), 1e-9, key);
    }
    assertTrue(Files.isDirectory(Checkpoints.dir(run).resolve("step-3")));
  }
}
