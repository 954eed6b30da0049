package io.grpo4j.task.jsonl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpo4j.task.ChatMessage;
import io.grpo4j.task.Problem;
import io.grpo4j.task.PromptStyle;
import io.grpo4j.task.Task;
import io.grpo4j.task.TaskContext;
import io.grpo4j.task.TaskProviders;
import io.grpo4j.task.Verdict;
import io.grpo4j.task.countdown.CountdownTask;
import io.grpo4j.task.reward.MathMatch;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlTaskTest {
  @TempDir Path dir;

  static final JsonlSettings TEMPLATED =
      new JsonlSettings("question", "answer", "solution", "", "{prompt} ({unit})\nAnswer:");

  Path write(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  @Test
  void rowsBecomePromptsAnswersReferencesAndMetadata() throws IOException {
    Path f =
        write(
            "train.jsonl",
            """
            {"id": "q1", "question": "2+3?", "answer": 5, "solution": " 5", "unit": "apples"}

            {"question": "half of 7?", "answer": "7/2", "unit": "kg", "tags": ["easy"]}
            """);
    List<Problem<JsonlRow>> rows = JsonlDataset.read(f, TEMPLATED);
    assertThat(rows).hasSize(2);
    Problem<JsonlRow> a = rows.get(0);
    assertThat(a.id()).isEqualTo("q1");
    assertThat(a.data().prompt()).isEqualTo("2+3? (apples)\nAnswer:");
    assertThat(a.data().answer().intValue()).isEqualTo(5);
    assertThat(a.data().where()).isEqualTo(f + ":1");
    assertThat(a.data().metadata().toString()).isEqualTo("{\"id\":\"q1\",\"unit\":\"apples\"}");
    Problem<JsonlRow> b = rows.get(1);
    assertThat(b.id()).startsWith("row-").hasSize(16);
    assertThat(b.data().where()).isEqualTo(f + ":3");
    assertThat(b.data().completion()).isNull();
    // the derived id depends on the content only
    assertThat(JsonlDataset.read(f, TEMPLATED).get(1).id()).isEqualTo(b.id());
    JsonlTask task = new JsonlTask(TEMPLATED, rows, new MathMatch());
    assertThat(task.referenceCompletion(a)).isEqualTo(" 5");
    assertThatThrownBy(() -> task.referenceCompletion(b))
        .hasMessageContaining(f + ":3")
        .hasMessageContaining("'solution'");
  }

  @Test
  void chatRowsAndTheSystemPrompt() throws IOException {
    JsonlSettings s = new JsonlSettings("prompt", "answer", "completion", "Be brief.", "{prompt}");
    Path f =
        write(
            "chat.jsonl",
            """
            {"prompt": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "2+2?"}], "answer": 4}
            {"prompt": [{"role": "system", "content": "Own."}, {"role": "user", "content": "1+1?"}], "answer": 2}
            {"prompt": "3+3?", "answer": 6}
            """);
    List<Problem<JsonlRow>> rows = JsonlDataset.read(f, s);
    JsonlTask task = new JsonlTask(s, rows, new MathMatch());
    assertThat(task.messages(rows.get(0)))
        .containsExactly(
            new ChatMessage("system", "Be brief."),
            new ChatMessage("user", "Hi"),
            new ChatMessage("assistant", "Hello"),
            new ChatMessage("user", "2+2?"));
    assertThat(task.messages(rows.get(1)).get(0)).isEqualTo(new ChatMessage("system", "Own."));
    assertThat(task.prompt(rows.get(2), PromptStyle.PLAIN)).isEqualTo("Be brief.\n3+3?");
    assertThat(task.prompt(rows.get(0), PromptStyle.CHAT)).isEqualTo("2+2?");
    // the reward sees the messages as they are in the row
    assertThat(task.request("x", rows.get(0), "4").prompt().get(2).get("content").asText())
        .isEqualTo("2+2?");
  }

  @Test
  void gzipFilesAreRead() throws IOException {
    Path f = dir.resolve("train.jsonl.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(f))) {
      out.write("{\"prompt\": \"p\", \"answer\": 1}\n".getBytes(StandardCharsets.UTF_8));
    }
    assertThat(JsonlDataset.read(f, JsonlSettings.DEFAULTS).get(0).data().prompt()).isEqualTo("p");
  }

  @Test
  void errorsNameFileLineAndField() throws IOException {
    JsonlSettings d = JsonlSettings.DEFAULTS;
    assertThatThrownBy(
            () -> JsonlDataset.read(write("a.jsonl", "{\"prompt\":\"ok\"}\n{\"answer\":1}\n"), d))
        .hasMessageContaining("a.jsonl:2")
        .hasMessageContaining("'prompt'")
        .hasMessageContaining("task.prompt_field");
    assertThatThrownBy(() -> JsonlDataset.read(write("b.jsonl", "{\"prompt\": 7}"), d))
        .hasMessageContaining("b.jsonl:1: field 'prompt' must be a string or a list");
    assertThatThrownBy(
            () -> JsonlDataset.read(write("c.jsonl", "{\"prompt\": [{\"role\":\"user\"}]}"), d))
        .hasMessageContaining("c.jsonl:1: field 'prompt'[0]");
    assertThatThrownBy(() -> JsonlDataset.read(write("d.jsonl", "{\"prompt\": \"x\""), d))
        .hasMessageContaining("d.jsonl:1: not valid JSON");
    assertThatThrownBy(
            () -> JsonlDataset.read(write("e.jsonl", "{\"prompt\": \"x\", \"completion\": 3}"), d))
        .hasMessageContaining("e.jsonl:1: field 'completion'");
    assertThatThrownBy(
            () -> JsonlDataset.read(write("f.jsonl", "{\"question\": \"x\"}"), TEMPLATED))
        .hasMessageContaining("f.jsonl:1: task.prompt_template uses {unit}");
    Path bin = dir.resolve("g.jsonl");
    Files.write(bin, new byte[] {'{', (byte) 0xff, '}'});
    assertThatThrownBy(() -> JsonlDataset.read(bin, d))
        .hasMessageContaining("g.jsonl:1: not valid UTF-8");
    assertThatThrownBy(() -> JsonlDataset.read(write("h.jsonl", "\n\n"), d))
        .hasMessageContaining("no rows");
  }

  @Test
  void epochsVisitEveryRowOnceInASeededOrder() {
    EpochOrder order = new EpochOrder(7, 42);
    for (int epoch = 0; epoch < 3; epoch++) {
      Set<Integer> seen = new HashSet<>();
      for (int k = 0; k < 7; k++) seen.add(order.row(epoch * 7L + k));
      assertThat(seen).hasSize(7);
    }
    int[] first = new int[7];
    int[] second = new int[7];
    int[] again = new int[7];
    EpochOrder fresh = new EpochOrder(7, 42);
    for (int k = 0; k < 7; k++) {
      first[k] = order.row(k);
      second[k] = order.row(7 + k);
      again[k] = fresh.row(k);
    }
    assertThat(again).isEqualTo(first); // a resumed run sees the same rows
    assertThat(second).isNotEqualTo(first); // each epoch is reshuffled
    assertThat(new EpochOrder(7, 43).row(0) == first[0] && new EpochOrder(7, 43).row(1) == first[1])
        .isFalse();
  }

  @Test
  void stepsContinueAcrossEpochs() throws IOException {
    Path f = write("t.jsonl", "{\"prompt\":\"a\"}\n{\"prompt\":\"b\"}\n{\"prompt\":\"c\"}\n");
    JsonlTask task =
        new JsonlTask(
            JsonlSettings.DEFAULTS, JsonlDataset.read(f, JsonlSettings.DEFAULTS), new MathMatch());
    List<String> steps01 = new java.util.ArrayList<>();
    for (int step = 0; step < 3; step++) {
      task.trainBatch(5, step, 2).forEach(p -> steps01.add(p.data().prompt()));
    }
    // 6 positions = two full epochs of 3 rows
    assertThat(steps01.subList(0, 3)).containsExactlyInAnyOrder("a", "b", "c");
    assertThat(steps01.subList(3, 6)).containsExactlyInAnyOrder("a", "b", "c");
    assertThat(task.trainBatch(5, 1, 2)).isEqualTo(task.trainBatch(5, 1, 2));
  }

  @Test
  void judgingAsksTheRewardSourcesOncePerBatch() throws IOException {
    Path f =
        write(
            "m.jsonl", "{\"prompt\":\"1+1\",\"answer\":2}\n{\"prompt\":\"1/2\",\"answer\":0.5}\n");
    List<Problem<JsonlRow>> rows = JsonlDataset.read(f, JsonlSettings.DEFAULTS);
    JsonlTask task = new JsonlTask(JsonlSettings.DEFAULTS, rows, new MathMatch());
    List<Verdict<JsonlRow>> v =
        task.judge(rows, List.of("<answer>2</answer>", "<answer>1/3</answer>"));
    assertThat(v.get(0).outcome().reward()).isEqualTo(1.0);
    assertThat(v.get(0).outcome().success()).isTrue();
    assertThat(v.get(1).outcome().reward()).isEqualTo(0.0);
    assertThat(task.verifier().outcome(rows.get(1), "0.5").reward()).isEqualTo(1.0);
  }

  @Test
  void providersAreFoundByNameAndBuildTheirTasks() throws IOException {
    Path f = write("p.jsonl", "{\"q\":\"2+2\",\"a\":4}\n");
    String yaml =
        "{\"task\": {\"name\": \"jsonl\", \"prompt_field\": \"q\", \"answer_field\": \"a\"},"
            + " \"data\": {\"train_file\": \"p.jsonl\"},"
            + " \"reward\": {\"sources\": [{\"type\": \"math\", \"weight\": 2}]}}";
    ClassLoader cl = getClass().getClassLoader();
    Task<?> t = TaskProviders.create(new TaskContext(new ObjectMapper().readTree(yaml), dir), cl);
    assertThat(t).isInstanceOf(JsonlTask.class);
    JsonlTask jt = (JsonlTask) t;
    // the file's only row
    assertThat(jt.judge(jt.draw(0, 1), List.of("4")).get(0).outcome().reward()).isEqualTo(2.0);
    jt.close();

    Task<?> cd =
        TaskProviders.create(
            new TaskContext(
                new ObjectMapper().readTree("{\"task\": {\"name\": \"countdown\"}}"), dir),
            cl);
    assertThat(cd).isInstanceOf(CountdownTask.class);

    assertThatThrownBy(
            () ->
                TaskProviders.create(
                    new TaskContext(
                        new ObjectMapper().readTree("{\"task\": {\"name\": \"mine\"}}"), dir),
                    cl))
        .hasMessageContaining("task.name 'mine' is not a known task (known: countdown, jsonl")
        .hasMessageContaining("GRPO4J_CLASSPATH");
    assertThatThrownBy(
            () ->
                TaskProviders.create(
                    new TaskContext(
                        new ObjectMapper()
                            .readTree(
                                "{\"task\": {\"name\": \"jsonl\"}, \"reward\": {\"sources\": [{\"type\": \"magic\"}]}}"),
                        dir),
                    cl))
        .hasMessageContaining("reward.sources[0]: type must be one of");
  }
}
