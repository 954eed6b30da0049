package io.grpo4j.run;

import static io.grpo4j.train.CrashSafetyTest.config;
import static io.grpo4j.train.CrashSafetyTest.steps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpo4j.audit.RunCheck;
import io.grpo4j.config.RunConfig;
import io.grpo4j.torch.DType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run folder's start on the shipped tiny model: an unwritable folder or a full disk is reported
 * before training; a start that never reached step 1 can be run again with the same command.
 */
class RunFolderTest {
  @TempDir Path tmp;
  final ByteArrayOutputStream log = new ByteArrayOutputStream();
  final PrintStream out = new PrintStream(log, true);

  @Test
  void anUnwritableRunFolderOrAFullDiskIsReportedBeforeTraining() throws Exception {
    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    assertThatThrownBy(() -> Runs.grpo(config("train.steps=1"), file.resolve("run"), out))
        .hasMessageContaining(file.resolve("run") + " is not writable");
    assertThat(log.toString()).doesNotContain("step 1");

    Path run = Files.createDirectories(tmp.resolve("ok"));
    long params = 3_216_384;
    long need = 3 * params * 12 + RunPreflight.MARGIN_BYTES;
    assertThatThrownBy(() -> RunPreflight.check(run, params, DType.F32, dir -> 10L << 20))
        .hasMessageContaining(run + ": only 10.0 MiB free")
        .hasMessageContaining(RunPreflight.human(need));
    RunPreflight.check(run, params, DType.F32, dir -> need);
    assertThat(RunPreflight.checkpointBytes(params, DType.BF16)).isEqualTo(params * 10);
  }

  @Test
  void aStartThatNeverReachedStepOneCanBeRunAgainWithTheSameCommand() throws Exception {
    Path run = tmp.resolve("run");
    Path missing = tmp.resolve("nonexistent");
    RunConfig bad = config("model.init=" + missing, "train.steps=1");
    for (int attempt = 0; attempt < 2; attempt++) { // the retry fails the same way, not "not empty"
      assertThatThrownBy(() -> Runs.grpo(bad, run, out))
          .hasMessageContaining(missing.toString())
          .hasMessageNotContaining("not empty");
    }
    assertThat(Runs.neverStarted(run)).isTrue();
    Runs.grpo(config("train.steps=1"), run, out);
    assertThat(log.toString()).contains("never finished step 1: starting afresh");
    assertThat(steps(run.resolve("metrics.jsonl"))).containsExactly(1L);
    assertThat(RunCheck.audit(run, true).problems()).isEmpty();

    // A run with a logged step is never cleared: it is resumed, or another --out is chosen.
    assertThat(Runs.neverStarted(run)).isFalse();
    assertThatThrownBy(() -> Runs.grpo(config("train.steps=1"), run, out))
        .hasMessageContaining("is not empty");
    // Nor is a folder holding files a start does not write.
    Path other = Files.createDirectories(tmp.resolve("other"));
    Files.writeString(other.resolve(RunKind.FILE), "{\"kind\": \"grpo\"}\n");
    Files.writeString(other.resolve("notes.txt"), "mine");
    assertThat(Runs.neverStarted(other)).isFalse();
  }
}
