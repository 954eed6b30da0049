package io.grpo4j.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading run folders: incremental metrics, downsampling, the sample index, rollout groups. */
class RunFilesTest {
  @TempDir Path dir;

  static void append(Path f, String text) throws Exception {
    Files.writeString(f, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  @Test
  void metricsAreReadIncrementallyAndWaitForTheNewline() throws Exception {
    Path f = dir.resolve("metrics.jsonl");
    MetricsTable t = new MetricsTable(f);
    assertThat(t.refresh()).isFalse(); // no file yet
    append(f, "{\"step\":1,\"a\":1.0,\"ok\":true}\n{\"step\":2,\"a\":");
    assertThat(t.refresh()).isTrue();
    assertThat(t.series(10).rows()).isEqualTo(1);
    append(f, "3.0,\"b\":5}\n");
    assertThat(t.refresh()).isTrue();
    MetricsTable.Series s = t.series(10);
    assertThat(s.step()).containsExactly(1, 2);
    assertThat(s.columns().get("a")).containsExactly(1.0, 3.0);
    assertThat(s.columns().get("b")[0]).isNaN(); // column born at step 2
    assertThat(s.columns().get("b")[1]).isEqualTo(5.0);
    assertThat(s.columns().get("ok")[0]).isEqualTo(1.0);
    // a resumed run truncates the file: read again from the start
    Files.writeString(f, "{\"step\":1,\"a\":9}\n");
    t.refresh();
    assertThat(t.series(10).columns().get("a")).containsExactly(9.0);
  }

  @Test
  void downsamplingAveragesBucketsOfConsecutiveRows() throws Exception {
    Path f = dir.resolve("metrics.jsonl");
    StringBuilder b = new StringBuilder();
    for (int s = 1; s <= 7; s++) {
      b.append("{\"step\":").append(s).append(",\"x\":").append(s * s);
      if (s % 3 == 0) b.append(",\"eval\":").append(s);
      b.append("}\n");
    }
    Files.writeString(f, b);
    MetricsTable t = new MetricsTable(f);
    t.refresh();
    MetricsTable.Series s = t.series(3); // every = ceil(7/3) = 3: {1,2,3} {4,5,6} {7}
    assertThat(s.every()).isEqualTo(3);
    assertThat(s.step()).containsExactly(3, 6, 7);
    assertThat(s.columns().get("x")).containsExactly((1 + 4 + 9) / 3.0, (16 + 25 + 36) / 3.0, 49);
    assertThat(s.columns().get("eval")[0]).isEqualTo(3.0); // mean of the finite values only
    assertThat(s.columns().get("eval")[1]).isEqualTo(6.0);
    assertThat(s.columns().get("eval")[2]).isNaN();
    assertThat(t.series(100).every()).isEqualTo(1);
  }

  @Test
  void aBrokenMetricsLineIsNamed() throws Exception {
    Path f = dir.resolve("metrics.jsonl");
    Files.writeString(f, "{\"step\":1}\n{oops\n");
    assertThatThrownBy(() -> new MetricsTable(f).refresh())
        .hasMessageContaining(f.toString())
        .hasMessageContaining("byte 11");
  }

  @Test
  void sampleIndexPagesTenThousandStepsOfRowsByOffset() throws Exception {
    Path f = dir.resolve("samples.jsonl");
    List<String> lines = new ArrayList<>();
    StringBuilder b = new StringBuilder();
    for (int step = 1; step <= 10_000; step++) {
      for (int i = 0; i < 5; i++) {
        String l =
            "{\"step\":"
                + step
                + ",\"index\":"
                + i
                + ",\"group\":"
                + i / 2
                + ",\"prompt\":\"p\\u00e9 "
                + step
                + "\",\"reward\":"
                + (i * 0.25)
                + ",\"tokens\":[\"a\",\"\\n\"],\"token_advantages\":[0.5,-0.5]}";
        lines.add(l);
        b.append(l).append('\n');
      }
    }
    b.append("{\"step\":10001,\"ind"); // torn last line: not indexed yet
    Files.writeString(f, b);
    SampleIndex idx = new SampleIndex(f);
    idx.refresh();
    assertThat(idx.steps().stream().mapToInt(idx::rowCount).sum()).isEqualTo(50_000);
    assertThat(idx.steps()).hasSize(10_000);
    assertThat(idx.rowCount(4321)).isEqualTo(5);
    List<JsonNode> page = idx.rows(4321, 2, 2);
    assertThat(page).hasSize(2);
    assertThat(page.get(0)).isEqualTo(RunSource.JSON.readTree(lines.get(4320 * 5 + 2)));
    assertThat(page.get(1)).isEqualTo(RunSource.JSON.readTree(lines.get(4320 * 5 + 3)));
    assertThat(idx.rows(4321, 5, 10)).isEmpty();
    append(f, "ex\":0}\n");
    idx.refresh();
    assertThat(idx.rowCount(10_001)).isEqualTo(1);
    assertThat(idx.rows(10_001, 0, 1).get(0).path("index").asInt()).isEqualTo(0);

    // the rollout page groups them; the page carries only what was asked
    RunSet set = new RunSet(List.of(new RunSource("big", dir, null)));
    JsonNode r = set.rolloutsJson(0, 4321, 0, 64);
    assertThat(r.path("total").asInt()).isEqualTo(5);
    assertThat(r.path("groups")).hasSize(3);
    assertThat(set.stepsJson(0).path("steps")).hasSize(10_001);
  }

  @Test
  void groupsCarryBaselineRewardsAndTheTokenValuesPresent() throws Exception {
    Path fixture = BrowserTest.fixture().resolve("grpo/samples.jsonl");
    List<JsonNode> rows =
        BrowserTest.jsonl(fixture).stream().filter(r -> r.path("step").asLong() == 2).toList();
    ArrayNode groups = Rollouts.groups(rows);
    assertThat(groups).hasSize(3);
    for (JsonNode g : groups) {
      List<JsonNode> mine =
          rows.stream().filter(r -> r.path("group").asLong() == g.path("group").asLong()).toList();
      assertThat(g.path("logged").asInt()).isEqualTo(8);
      double mean =
          mine.stream().mapToDouble(r -> r.path("reward").asDouble()).average().orElseThrow();
      assertThat(g.path("baseline").asDouble())
          .isCloseTo(mean, org.assertj.core.data.Offset.offset(1e-12));
      assertThat(g.path("prompt").asText()).isEqualTo(mine.get(0).path("prompt").asText());
      JsonNode c = g.path("completions").get(3);
      JsonNode src = mine.get(3);
      assertThat(c.path("tokens")).isEqualTo(src.path("tokens"));
      assertThat(c.path("values").path("logprob").get(1).asDouble())
          .isEqualTo(src.path("logprobs").get(1).asDouble());
      assertThat(c.path("values").path("adv").size()).isEqualTo(src.path("tokens").size());
      assertThat(c.path("values").has("entropy")).isFalse(); // not logged by this run
      assertThat(c.path("reason").asText()).isEqualTo(src.path("reason").asText());
    }
    // an array whose length does not match the tokens is dropped, not misaligned
    JsonNode bad =
        RunSource.JSON.readTree(
            "{\"step\":1,\"group\":0,\"reward\":1,\"tokens\":[\"a\",\"b\"],\"entropies\":[0.1],\"token_rewards\":[0.5,null]}");
    JsonNode c = Rollouts.groups(List.of(bad)).get(0).path("completions").get(0);
    assertThat(c.path("values").has("entropy")).isFalse();
    assertThat(c.path("values").path("r").get(1).isNull()).isTrue();
  }

  @Test
  void foldersResolveToRuns() throws Exception {
    List<RunSource> qs = RunSource.resolve(List.of(BrowserTest.fixture()));
    assertThat(qs).extracting(RunSource::name).containsExactly("grpo");
    assertThat(qs.get(0).summary()).isNotNull();
    List<RunSource> direct = RunSource.resolve(List.of(BrowserTest.fixture().resolve("grpo")));
    assertThat(direct.get(0).summary()).isEqualTo(qs.get(0).summary()); // the quickstart's

    Path sweep = dir.resolve("sweep");
    for (String r : List.of("a/seed0", "a/seed1", "b/seed0"))
      BrowserTest.copy(
          BrowserTest.fixture().resolve("grpo"), Files.createDirectories(sweep.resolve(r)));
    Files.writeString(
        sweep.resolve("sweep.json"),
        "{\"grid\":{\"rl.advantage.mode\":[\"token\",\"sequence\"]},\"seeds\":2,\"cells\":["
            + "{\"name\":\"mode=token\",\"params\":{},\"runs\":[\"a/seed0\",\"a/seed1\"],\"metrics\":{}},"
            + "{\"name\":\"mode=sequence\",\"params\":{},\"runs\":[\"b/seed0\",\"b/seed1\"],\"metrics\":{}}]}");
    assertThat(RunSource.resolve(List.of(sweep)))
        .extracting(RunSource::name)
        .containsExactly("mode=token/seed0", "mode=token/seed1", "mode=sequence/seed0");
    // the same folder twice gets distinct names
    assertThat(RunSource.resolve(List.of(BrowserTest.fixture(), BrowserTest.fixture())))
        .extracting(RunSource::name)
        .containsExactly("quickstart/grpo", "quickstart/grpo (2)");

    assertThatThrownBy(() -> RunSource.resolve(List.of(dir.resolve("nothing"))))
        .hasMessageContaining("nothing");
    Files.createDirectories(dir.resolve("empty"));
    assertThatThrownBy(() -> RunSource.resolve(List.of(dir.resolve("empty"))))
        .hasMessageContaining("not a run folder");
    Files.writeString(sweep.resolve("sweep.json"), "{\"cells\": 3}");
    assertThatThrownBy(() -> RunSource.resolve(List.of(sweep)))
        .hasMessageContaining("sweep.json")
        .hasMessageContaining("cells");
  }
}
