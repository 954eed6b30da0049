package io.grpo4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpo4j.task.countdown.CountdownJsonl;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code data countdown}, {@code data stats} and {@code score} commands, end to end. Golden
 * files: rerun with {@code -Dgolden.update=true} to rewrite them after an intended change, and
 * review the diff.
 */
class CountdownCommandsTest {
  record Run(int rc, String out, String err) {}

  static Run run(String... args) {
    var cl = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int rc = cl.execute(args);
    return new Run(rc, out.toString(), err.toString());
  }

  @Test
  void dataCountdownWritesSeededDisjointSplits(@TempDir Path dir) throws IOException {
    Path out = dir.resolve("cd.jsonl");
    Run r =
        run(
            "data",
            "countdown",
            "--n",
            "100",
            "--numbers",
            "3..4",
            "--max-steps",
            "6",
            "--seed",
            "5",
            "--out",
            out.toString(),
            "--test-fraction",
            "0.2");
    assertThat(r.rc()).as(r.err()).isZero();
    Path test = dir.resolve("cd.test.jsonl");
    assertThat(r.out())
        .contains("wrote 80 train instances to " + out)
        .contains("wrote 20 test instances to " + test);
    List<CountdownJsonl.Entry> train = CountdownJsonl.read(out);
    List<CountdownJsonl.Entry> held = CountdownJsonl.read(test);
    assertThat(train).hasSize(80);
    assertThat(held).hasSize(20);
    Set<String> keys = new HashSet<>();
    train.forEach(e -> keys.add(e.instance().key()));
    held.forEach(e -> assertThat(keys.add(e.instance().key())).isTrue());
    assertThat(train)
        .allSatisfy(
            e -> {
              assertThat(e.instance().numbers().size()).isBetween(3, 4);
              assertThat(e.instance().maxSteps()).isEqualTo(6);
              assertThat(e.instance().hasSolution()).isTrue();
              assertThat(e.id()).isEqualTo(e.instance().id());
            });
    String first = Files.readString(out);
    assertThat(
            run(
                    "data",
                    "countdown",
                    "--n",
                    "100",
                    "--seed",
                    "5",
                    "--out",
                    out.toString(),
                    "--test-fraction",
                    "0.2")
                .rc())
        .isZero();
    assertThat(Files.readString(out)).isEqualTo(first);
  }

  @Test
  void dataStatsDescribesAFile(@TempDir Path dir) {
    Path out = dir.resolve("six.jsonl");
    assertThat(
            run(
                    "data",
                    "countdown",
                    "--n",
                    "20",
                    "--numbers",
                    "5..6",
                    "--values",
                    "1..50",
                    "--targets",
                    "100..500",
                    "--seed",
                    "2",
                    "--out",
                    out.toString())
                .rc())
        .isZero();
    Run r = run("data", "stats", out.toString());
    assertThat(r.rc()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("instances: 20 (distinct numbers+target: 20)")
        .containsPattern("numbers per instance: 5: \\d+, 6: \\d+")
        .containsPattern("reference steps: 4: \\d+, 5: \\d+")
        .containsPattern("shortest solution steps \\(brute force\\): .*\\d: \\d+")
        .doesNotContain("unknown")
        .doesNotContain("unsolvable");
  }

  @Test
  void dataCommandsReportBadInputInOneLine(@TempDir Path dir) throws IOException {
    Run missing = run("data", "stats", dir.resolve("nope.jsonl").toString());
    assertThat(missing.rc()).isEqualTo(2);
    assertThat(missing.err()).startsWith("grpo4j stats: no such file:");
    Path bad = dir.resolve("bad.jsonl");
    Files.writeString(
        bad, "{\"numbers\":[3,5,7],\"target\":56}\n{\"numbers\":\"3 5\",\"target\":8}\n");
    Run r = run("data", "stats", bad.toString());
    assertThat(r.rc()).isEqualTo(2);
    assertThat(r.err().strip())
        .isEqualTo(
            "grpo4j stats: " + bad + ":2: field 'numbers' must be an array of whole numbers");
    Run range =
        run(
            "data",
            "countdown",
            "--n",
            "5",
            "--numbers",
            "3..x",
            "--out",
            dir.resolve("x.jsonl").toString());
    assertThat(range.rc()).isEqualTo(2);
    assertThat(range.err()).contains("--numbers must be a range like 3..4");
  }

  @Test
  void scoreStepsMatchesGoldenFile(@TempDir Path dir) throws IOException {
    checkGolden(dir, "steps", "score-steps-input.jsonl", "score-steps-expected.jsonl");
  }

  @Test
  void scoreExpressionMatchesGoldenFile(@TempDir Path dir) throws IOException {
    checkGolden(
        dir, "expression", "score-expression-input.jsonl", "score-expression-expected.jsonl");
  }

  static void checkGolden(Path dir, String format, String input, String expected)
      throws IOException {
    Path resources = Path.of("grpo4j-cli/src/test/resources/countdown");
    Path output = dir.resolve("scored.jsonl");
    Run r =
        run(
            "score",
            "--task",
            "countdown",
            "--format",
            format,
            "--input",
            resources.resolve(input).toString(),
            "--output",
            output.toString());
    assertThat(r.rc()).as(r.err()).isZero();
    assertThat(r.err()).startsWith("scored ");
    String actual = Files.readString(output, StandardCharsets.UTF_8);
    Path golden = resources.resolve(expected);
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(golden, actual, StandardCharsets.UTF_8);
    }
    assertThat(actual).isEqualTo(Files.readString(golden, StandardCharsets.UTF_8));
  }

  @Test
  void scoreWritesToStandardOutputAndAcceptsRewardOverrides(@TempDir Path dir) throws IOException {
    Path in = dir.resolve("in.jsonl");
    Files.writeString(in, "{\"numbers\":[3,5,7],\"target\":56,\"completion\":\"3+5=8\\n\"}\n");
    Run r = run("score", "--input", in.toString(), "--reward", "step_valid=0.25");
    assertThat(r.rc()).as(r.err()).isZero();
    assertThat(r.out())
        .contains(
            "\"reward\":0.25,\"success\":false,\"reason\":\"stopped after 1 valid step without reaching 56\"");
    Run bad = run("score", "--input", in.toString(), "--reward", "step_vlaid=0.25");
    assertThat(bad.rc()).isEqualTo(2);
    assertThat(bad.err()).contains("unknown config key countdown.reward.step_vlaid");
    Run task = run("score", "--task", "gsm8k", "--input", in.toString());
    assertThat(task.err()).contains("unknown --task 'gsm8k' (known: countdown)");
    Path noCompletion = dir.resolve("nc.jsonl");
    Files.writeString(noCompletion, "{\"numbers\":[3,5,7],\"target\":56}\n");
    assertThat(run("score", "--input", noCompletion.toString()).err())
        .contains(":1: field 'completion' must be a string");
  }
}
