package io.grpo4j.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpo4j.model.TinyPreset;
import io.grpo4j.torch.DType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepTest {
  @TempDir Path tmp;

  private Sweep sweep(List<String> grid, int seeds, List<String> overrides) {
    return new Sweep(
        null,
        overrides,
        grid.stream().map(Sweep.Axis::parse).toList(),
        seeds,
        tmp.resolve("out"),
        2,
        3,
        false);
  }

  @Test
  void cellsAreTheProductOfTheAxesFirstAxisSlowest() {
    var cells =
        sweep(List.of("rl.advantage.mode=sequence,prefix", "train.lr=1e-4,5e-5,2e-5"), 1, List.of())
            .cells();
    assertThat(cells).hasSize(6);
    assertThat(cells.get(0).name()).isEqualTo("mode-sequence_lr-1e-4");
    assertThat(cells.get(2).params())
        .containsEntry("rl.advantage.mode", "sequence")
        .containsEntry("train.lr", "2e-5");
    assertThat(cells.get(3).name()).isEqualTo("mode-prefix_lr-1e-4");
    // two keys with the same last segment: whole keys in the name
    var clash = sweep(List.of("train.lr=1e-4,5e-5", "sft.lr=1e-3"), 1, List.of()).cells();
    assertThat(clash.get(1).name()).isEqualTo("train.lr-5e-5_sft.lr-1e-3");
  }

  @Test
  void badGridsAreRejectedWithTheirKey() {
    assertThatThrownBy(() -> Sweep.Axis.parse("rl.advantage.mode"))
        .hasMessageContaining("key=v1,v2");
    assertThatThrownBy(() -> Sweep.Axis.parse("seed=1,2")).hasMessageContaining("--seeds");
    assertThatThrownBy(() -> Sweep.Axis.parse("train.lr=1e-4,,2")).hasMessageContaining("train.lr");
    assertThatThrownBy(() -> Sweep.Axis.parse("train.lr=1,1")).hasMessageContaining("repeated");
    assertThatThrownBy(() -> sweep(List.of("train.lr=1", "train.lr=2"), 1, List.of()))
        .hasMessageContaining("twice");
    assertThatThrownBy(() -> sweep(List.of("train.lrr=1,2"), 1, List.of()).run(quiet()))
        .hasMessageContaining("train.lrr");
    assertThatThrownBy(() -> sweep(List.of("rl.clip.low=0.1"), 1, List.of()).run(quiet()))
        .hasMessageContaining("model.init is not set");
  }

  @Test
  void meanAndSampleSd() {
    double[] ms = Sweep.meanSd(List.of(1.0, 2.0, 4.0));
    assertThat(ms[0]).isCloseTo(7.0 / 3, within(1e-12));
    // deviations -4/3, -1/3, 5/3: squares sum 42/9, over 2
    assertThat(ms[1]).isCloseTo(Math.sqrt(42.0 / 18), within(1e-12));
    assertThat(Sweep.meanSd(List.of(3.0))).containsExactly(3.0, 0.0);
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream());
  }

  /** One cell, two seeds, one GRPO step each on the tiny preset: the layout the report reads. */
  @Test
  void runsTheGridAndWritesTheTables() throws Exception {
    Path init = tmp.resolve("init");
    TinyPreset.write("tiny", init, 1, DType.F32);
    List<String> small =
        List.of(
            "model.init=" + init,
            "data.eval_size=3",
            "sampling.max_new_tokens=8",
            "countdown.generator.max_numbers=3",
            "countdown.generator.max_value=9",
            "train.steps=1",
            "train.save_every=1",
            "train.eval_every=0",
            "data.prompts_per_step=2",
            "rl.group_size=2");
    Sweep s = sweep(List.of("rl.clip.low=0.2"), 2, small);
    JsonNode root = s.run(quiet());
    Path out = tmp.resolve("out");
    JsonNode json = Sweep.JSON.readTree(Files.readString(out.resolve("sweep.json")));
    assertThat(json).isEqualTo(root);
    assertThat(json.get("grid").get("rl.clip.low").toString()).isEqualTo("[0.2]");
    assertThat(json.get("seeds").asInt()).isEqualTo(2);
    assertThat(json.get("cells")).hasSize(1);
    JsonNode cell = json.get("cells").get(0);
    assertThat(cell.get("name").asText()).isEqualTo("low-0.2");
    assertThat(cell.get("params").get("rl.clip.low").asDouble()).isEqualTo(0.2);
    assertThat(cell.get("runs").toString()).isEqualTo("[\"low-0.2/seed-0\",\"low-0.2/seed-1\"]");
    for (JsonNode run : cell.get("runs")) {
      Path dir = out.resolve(run.asText());
      assertThat(dir.resolve("metrics.jsonl")).isRegularFile();
      assertThat(dir.resolve("config.yaml"))
          .content()
          .contains("seed: " + run.asText().charAt(run.asText().length() - 1));
    }
    // the table's numbers are the mean and sd of the runs' own results
    double a = resultOf(out, "low-0.2/seed-0", "success_rate");
    double b = resultOf(out, "low-0.2/seed-1", "success_rate");
    JsonNode success = cell.get("metrics").get("success_rate");
    assertThat(success.get("mean").asDouble()).isCloseTo((a + b) / 2, within(1e-12));
    assertThat(success.get("sd").asDouble())
        .isCloseTo(Math.abs(a - b) / Math.sqrt(2), within(1e-12));
    assertThat(cell.get("metrics").fieldNames())
        .toIterable()
        .contains("pass@1", "pass@2", "kl_forward", "grpo_seconds");
    String md = Files.readString(out.resolve("sweep.md"));
    assertThat(md).startsWith("| cell | runs | success_rate | pass@1 | pass@2 | kl_forward |");
    assertThat(md).contains("| low-0.2 | 2 |");
    // running again keeps the finished runs
    long before =
        Files.getLastModifiedTime(out.resolve("low-0.2/seed-0/sweep-result.json")).toMillis();
    s.run(quiet());
    assertThat(
            Files.getLastModifiedTime(out.resolve("low-0.2/seed-0/sweep-result.json")).toMillis())
        .isEqualTo(before);
  }

  private static double resultOf(Path out, String run, String metric) throws Exception {
    return Sweep.JSON
        .readTree(Files.readString(out.resolve(run).resolve("sweep-result.json")))
        .get("metrics")
        .get(metric)
        .asDouble();
  }
}
