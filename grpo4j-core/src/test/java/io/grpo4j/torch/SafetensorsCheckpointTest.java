package io.grpo4j.torch;

import static io.grpo4j.torch.TestTensors.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsCheckpointTest {
  @TempDir Path dir;

  /** Seven tensors: six F32 [4,4] of 64 bytes and one I64 [10] of 80 bytes; 464 bytes in all. */
  static SequencedMap<String, Tensor> model() {
    SequencedMap<String, Tensor> m = new LinkedHashMap<>();
    for (int i = 0; i < 6; i++) {
      float[] v = new float[16];
      for (int j = 0; j < 16; j++) v[j] = i * 100 + j;
      m.put("model.layers." + i + ".mlp.weight", f32(new long[] {4, 4}, v));
      if (i == 2) m.put("model.ids", i64(new long[] {10}, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
    }
    return m;
  }

  private static void assertSameTensors(
      SafetensorsCheckpoint ckpt, SequencedMap<String, Tensor> expected) throws Exception {
    assertThat(ckpt.names()).containsExactlyInAnyOrderElementsOf(expected.keySet());
    for (var e : expected.entrySet()) {
      assertThat(bytes(ckpt.read(e.getKey()))).as(e.getKey()).containsExactly(bytes(e.getValue()));
      assertThat(ckpt.info(e.getKey()).shape()).containsExactly(TensorBytes.shape(e.getValue()));
    }
  }

  private Set<String> filesIn(Path d) throws Exception {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
    }
  }

  @Test
  void smallModelIsOneFileWithFormatPt() throws Exception {
    SafetensorsCheckpoint.write(dir, model(), 10_000);
    assertThat(filesIn(dir)).containsExactly("model.safetensors");
    try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
      assertThat(f.metadata()).isEqualTo(Map.of("format", "pt"));
      assertThat(f.tensors().keySet()).containsExactlyElementsOf(model().keySet());
    }
    try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
      assertThat(ckpt.names()).containsExactlyElementsOf(model().keySet());
      assertSameTensors(ckpt, model());
    }
  }

  @Test
  void largeModelIsShardedWithAValidIndex() throws Exception {
    // Greedy in map order (l0 l1 l2 ids l3 l4 l5) with 150-byte shards:
    // [l0 64 + l1 64], [l2 64 + ids 80], [l3 64 + l4 64], [l5 64] -> 4 shards.
    SafetensorsCheckpoint.write(dir, model(), 150);
    List<String> shards =
        IntStream.rangeClosed(1, 4)
            .mapToObj(i -> "model-0000" + i + "-of-00004.safetensors")
            .toList();
    Set<String> expectedFiles = new TreeSet<>(shards);
    expectedFiles.add("model.safetensors.index.json");
    assertThat(filesIn(dir)).containsExactlyElementsOf(expectedFiles);

    JsonNode index =
        new ObjectMapper().readTree(dir.resolve("model.safetensors.index.json").toFile());
    assertThat(index.get("metadata").get("total_size").asLong()).isEqualTo(6 * 64 + 80);
    JsonNode weightMap = index.get("weight_map");
    Set<String> mapped = new HashSet<>();
    weightMap.fieldNames().forEachRemaining(mapped::add);
    assertThat(mapped).isEqualTo(model().keySet());
    assertThat(weightMap.get("model.layers.0.mlp.weight").asText()).isEqualTo(shards.get(0));
    assertThat(weightMap.get("model.layers.1.mlp.weight").asText()).isEqualTo(shards.get(0));
    assertThat(weightMap.get("model.layers.2.mlp.weight").asText()).isEqualTo(shards.get(1));
    assertThat(weightMap.get("model.ids").asText()).isEqualTo(shards.get(1));
    assertThat(weightMap.get("model.layers.3.mlp.weight").asText()).isEqualTo(shards.get(2));
    assertThat(weightMap.get("model.layers.4.mlp.weight").asText()).isEqualTo(shards.get(2));
    assertThat(weightMap.get("model.layers.5.mlp.weight").asText()).isEqualTo(shards.get(3));
    for (String shard : shards) {
      try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(shard))) {
        assertThat(f.tensors().values().stream().mapToLong(t -> t.end() - t.begin()).sum())
            .isLessThanOrEqualTo(150);
        assertThat(f.metadata()).isEqualTo(Map.of("format", "pt"));
      }
    }
    try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
      assertSameTensors(ckpt, model());
      assertThat(ckpt.fileOf("model.ids").getFileName().toString()).isEqualTo(shards.get(1));
    }
  }

  @Test
  void indexIsWrittenAsTransformersWritesIt() throws Exception {
    SafetensorsCheckpoint.write(dir, model(), 300);
    String text = Files.readString(dir.resolve("model.safetensors.index.json"));
    // json.dumps(index, indent=2, sort_keys=True) + "\n"
    assertThat(text)
        .isEqualTo(
            """
            {
              "metadata": {
                "total_size": 464
              },
              "weight_map": {
                "model.ids": "model-00001-of-00002.safetensors",
                "model.layers.0.mlp.weight": "model-00001-of-00002.safetensors",
                "model.layers.1.mlp.weight": "model-00001-of-00002.safetensors",
                "model.layers.2.mlp.weight": "model-00001-of-00002.safetensors",
                "model.layers.3.mlp.weight": "model-00002-of-00002.safetensors",
                "model.layers.4.mlp.weight": "model-00002-of-00002.safetensors",
                "model.layers.5.mlp.weight": "model-00002-of-00002.safetensors"
              }
            }
            """);
  }

  @Test
  void aSingleTensorLargerThanTheLimitStillMakesOneFile() throws Exception {
    var m = new LinkedHashMap<String, Tensor>();
    m.put("big", f32(new long[] {8}, 1, 2, 3, 4, 5, 6, 7, 8));
    SafetensorsCheckpoint.write(dir, m, 16);
    assertThat(filesIn(dir)).containsExactly("model.safetensors");
  }

  @Test
  void savesReplaceEarlierSavesAndLeaveOtherFilesAlone() throws Exception {
    Files.writeString(dir.resolve("config.json"), "{}");
    SafetensorsCheckpoint.write(dir, model(), 150); // 4 shards
    SafetensorsCheckpoint.write(dir, model(), 300); // 2 shards
    assertThat(filesIn(dir))
        .containsExactly(
            "config.json",
            "model-00001-of-00002.safetensors",
            "model-00002-of-00002.safetensors",
            "model.safetensors.index.json");
    SafetensorsCheckpoint.write(dir, model(), 1 << 20); // single
    assertThat(filesIn(dir)).containsExactly("config.json", "model.safetensors");
    SafetensorsCheckpoint.write(dir, model(), 300); // sharded again: the single file must go
    assertThat(filesIn(dir))
        .containsExactly(
            "config.json",
            "model-00001-of-00002.safetensors",
            "model-00002-of-00002.safetensors",
            "model.safetensors.index.json");
    try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
      assertSameTensors(ckpt, model());
    }
  }

  @Test
  void singleFileWinsOverAnIndexAsInTransformers() throws Exception {
    SafetensorsCheckpoint.write(dir, model(), 150);
    var other = new LinkedHashMap<String, Tensor>();
    other.put("x", f32(new long[] {1}, 5));
    SafetensorsWriter.write(dir.resolve("model.safetensors"), other, Map.of());
    try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
      assertThat(ckpt.names()).containsExactly("x");
    }
  }

  @Test
  void folderWithoutWeights() {
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining(dir.toString())
        .hasMessageContaining("no model.safetensors and no model.safetensors.index.json");
  }

  private Path shardedWithIndex(String indexJson) throws Exception {
    SafetensorsCheckpoint.write(dir, model(), 300);
    Path index = dir.resolve("model.safetensors.index.json");
    Files.writeString(index, indexJson);
    return index;
  }

  private static String weightMap(String entries) {
    return "{\"metadata\":{\"total_size\":464},\"weight_map\":{" + entries + "}}";
  }

  private static final String FIRST = "model-00001-of-00002.safetensors";
  private static final String SECOND = "model-00002-of-00002.safetensors";

  private static String all(String overrideName, String overrideFile) {
    return model().keySet().stream()
        .map(
            n -> {
              String file =
                  n.equals(overrideName)
                      ? overrideFile
                      : (n.matches(".*layers\\.[345].*") ? SECOND : FIRST);
              return "\"" + n + "\":\"" + file + "\"";
            })
        .collect(Collectors.joining(","));
  }

  @Test
  void indexConsistentWithShardsOpens() throws Exception {
    shardedWithIndex(weightMap(all(null, null)));
    try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
      assertSameTensors(ckpt, model());
    }
  }

  @Test
  void indexNamingAMissingShard() throws Exception {
    Path index = shardedWithIndex(weightMap(all("model.ids", "model-00009-of-00009.safetensors")));
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageStartingWith(index + ": tensor 'model.ids': ")
        .hasMessageContaining("model-00009-of-00009.safetensors")
        .hasMessageContaining("does not exist");
  }

  @Test
  void indexPlacingATensorInTheWrongShard() throws Exception {
    shardedWithIndex(weightMap(all("model.ids", SECOND)));
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageStartingWith(dir.resolve(SECOND) + ": tensor 'model.ids': ")
        .hasMessageContaining("the shard does not hold it");
  }

  @Test
  void shardHoldingATensorTheIndexDoesNotList() throws Exception {
    String withoutIds = all(null, null).replace("\"model.ids\":\"" + FIRST + "\",", "");
    shardedWithIndex(weightMap(withoutIds));
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageStartingWith(dir.resolve(FIRST) + ": tensor 'model.ids': ")
        .hasMessageContaining("does not map it here");
  }

  @Test
  void indexPointingOutsideTheFolder() throws Exception {
    Path index = shardedWithIndex(weightMap(all("model.ids", "../" + FIRST)));
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageStartingWith(index + ": tensor 'model.ids': ")
        .hasMessageContaining("shard file name in this folder");
  }

  @Test
  void malformedIndex() throws Exception {
    Path index = shardedWithIndex("{\"weight_map\": {");
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageStartingWith(index + ": not valid JSON");
    Files.writeString(index, "{\"metadata\":{}}");
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("\"weight_map\"");
    Files.writeString(index, "[]");
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("\"weight_map\"");
  }

  @Test
  void aMalformedShardIsReportedWithItsOwnName() throws Exception {
    SafetensorsCheckpoint.write(dir, model(), 300);
    Files.write(dir.resolve(SECOND), new byte[3]);
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageStartingWith(dir.resolve(SECOND) + ": file is truncated");
  }

  @Test
  void requireNamesPassesForAnExactMatchAndIgnoresIgnorables() throws Exception {
    SafetensorsCheckpoint.write(dir, model(), 1 << 20);
    try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
      ckpt.requireNames(model().keySet(), Set.of());
      Set<String> expected = new HashSet<>(model().keySet());
      expected.remove("model.ids");
      expected.add("lm_head.weight");
      // model.ids is present but unexpected, lm_head.weight expected but absent: both ignorable.
      ckpt.requireNames(expected, Set.of("model.ids", "lm_head.weight"));
    }
  }

  @Test
  void requireNamesListsMissingAndUnexpected() throws Exception {
    SafetensorsCheckpoint.write(dir, model(), 1 << 20);
    try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
      Set<String> expected = new HashSet<>(model().keySet());
      expected.remove("model.ids");
      expected.remove("model.layers.0.mlp.weight");
      expected.add("model.norm.weight");
      assertThatThrownBy(() -> ckpt.requireNames(expected, Set.of("model.rotary_emb.inv_freq")))
          .isInstanceOf(CheckpointFormatException.class)
          .hasMessage(
              dir
                  + ": tensor names do not match the model: 1 missing tensor: model.norm.weight; "
                  + "2 unexpected tensors: model.ids, model.layers.0.mlp.weight");
    }
  }

  @Test
  void requireNamesShortensLongLists() throws Exception {
    SafetensorsCheckpoint.write(dir, model(), 1 << 20);
    try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
      Set<String> expected = new HashSet<>(model().keySet());
      for (int i = 0; i < 25; i++) expected.add(String.format("extra.%02d", i));
      assertThatThrownBy(() -> ckpt.requireNames(expected, Set.of()))
          .hasMessageContaining("25 missing tensors: extra.00, extra.01")
          .hasMessageContaining("extra.19, ... and 5 more")
          .hasMessageNotContaining("extra.20")
          .hasMessageNotContaining("unexpected");
    }
  }

  @Test
  void readAndInfoOfAnAbsentName() throws Exception {
    SafetensorsCheckpoint.write(dir, model(), 1 << 20);
    try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
      assertThatThrownBy(() -> ckpt.read("nope"))
          .isInstanceOf(CheckpointFormatException.class)
          .hasMessageContaining("tensor 'nope'");
      assertThatThrownBy(() -> ckpt.info("nope"))
          .isInstanceOf(java.util.NoSuchElementException.class)
          .hasMessageContaining("'nope'");
    }
  }
}
