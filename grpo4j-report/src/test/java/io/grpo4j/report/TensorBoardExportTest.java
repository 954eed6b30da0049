package io.grpo4j.report;

import static io.grpo4j.metrics.TfEventsWriterTest.get;
import static io.grpo4j.metrics.TfEventsWriterTest.read;
import static io.grpo4j.metrics.TfEventsWriterTest.values;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DynamicMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code report --tensorboard}: the event file holds every metric of every step, once. */
class TensorBoardExportTest {
  @TempDir Path dir;

  @Test
  void exportFromTheFixtureRunHasEveryMetricOfEveryStep() throws Exception {
    Path run = dir.resolve("run");
    BrowserTest.copy(BrowserTest.fixture().resolve("grpo"), Files.createDirectories(run));
    RunSource src = new RunSource("grpo", run, null);
    Path first = TensorBoardExport.write(src);
    Path second = TensorBoardExport.write(src); // regenerating replaces, never duplicates
    try (var s = Files.list(run)) {
      assertThat(s.filter(p -> p.getFileName().toString().startsWith("events.out"))).hasSize(1);
    }
    assertThat(second).exists();
    assertThat(first.equals(second) || !Files.exists(first)).isTrue();
    List<DynamicMessage> events = read(second);
    List<com.fasterxml.jackson.databind.JsonNode> rows =
        BrowserTest.jsonl(run.resolve("metrics.jsonl"));
    int k = 1;
    for (var row : rows) {
      DynamicMessage e = events.get(k++);
      assertThat(get(e, "step")).isEqualTo(row.path("step").asLong());
      Map<String, Float> got = new LinkedHashMap<>();
      for (DynamicMessage v : values(e))
        got.put((String) get(v, "tag"), (Float) get(v, "simple_value"));
      Map<String, Float> want = new LinkedHashMap<>();
      row.properties()
          .forEach(
              f -> {
                if (!f.getKey().equals("step") && f.getValue().isNumber())
                  want.put(f.getKey(), (float) f.getValue().asDouble());
              });
      assertThat(got).isEqualTo(want);
      // then that step's text summary: its first logged completions, with reward and reason
      DynamicMessage text = values(events.get(k++)).get(0);
      assertThat(get(events.get(k - 1), "step")).isEqualTo(row.path("step").asLong());
      assertThat(get(text, "tag")).isEqualTo("samples");
      var firstRow =
          BrowserTest.jsonl(run.resolve("samples.jsonl")).stream()
              .filter(r -> r.path("step").asLong() == row.path("step").asLong())
              .findFirst()
              .orElseThrow();
      assertThat(
              ((com.google.protobuf.ByteString) ((List<?>) get(text, "tensor.string_val")).get(0))
                  .toStringUtf8())
          .contains(firstRow.path("reason").asText(), firstRow.path("completion").asText().trim());
    }
    assertThat(k).isEqualTo(events.size());
  }
}
