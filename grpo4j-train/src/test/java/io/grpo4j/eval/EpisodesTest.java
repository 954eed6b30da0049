package io.grpo4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.grpo4j.generate.Sample;
import io.grpo4j.generate.SamplingParams;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.model.TinyPreset;
import io.grpo4j.task.Problem;
import io.grpo4j.task.PromptStyle;
import io.grpo4j.task.env.EnvConfig;
import io.grpo4j.task.env.EnvReply;
import io.grpo4j.task.env.EnvRequest;
import io.grpo4j.task.env.Environment;
import io.grpo4j.task.env.JavaEnvironment;
import io.grpo4j.task.jsonl.JsonlDataset;
import io.grpo4j.task.jsonl.JsonlRow;
import io.grpo4j.task.jsonl.JsonlSettings;
import io.grpo4j.task.jsonl.JsonlTask;
import io.grpo4j.task.reward.MathMatch;
import io.grpo4j.torch.DType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.pytorch.Device;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Episodes against a Java environment on the tiny preset: what the environment receives, what is
 * appended to the context (plain text, or the chat template's rendering), token rewards from turn
 * scores, the final request, and failures.
 */
class EpisodesTest {
  @TempDir static Path dir;
  static ModelFolder folder;
  static Qwen2Model model;
  static JsonlTask task;
  static List<Problem<JsonlRow>> rows;

  @BeforeAll
  static void setUp() throws Exception {
    TinyPreset.write("tiny", dir.resolve("m"), 3, DType.F32);
    folder = ModelFolder.open(dir.resolve("m"));
    model = folder.loadModel(DType.F32, new Device("cpu"));
    Path data = dir.resolve("rows.jsonl");
    Files.writeString(
        data,
        "{\"id\": \"a\", \"prompt\": \"Guess\", \"answer\": 3, \"level\": 1}\n"
            + "{\"id\": \"b\", \"prompt\": \"Again\", \"answer\": 9}\n");
    JsonlSettings s = JsonlSettings.DEFAULTS;
    rows = JsonlDataset.read(data, s);
    task = new JsonlTask(s, rows, new MathMatch());
  }

  @AfterAll
  static void tearDown() {
    folder.close();
  }

  /**
   * Observes "obs{k}" after model turn k (or {@code longObs} characters when set), done after 2
   * turns with reward 1 and turn scores 0.25, 1; every request is kept.
   */
  static final class Game implements Environment {
    final Map<String, EnvRequest> seen = new ConcurrentHashMap<>();
    final int longObs;
    final boolean scores;

    Game(int longObs, boolean scores) {
      this.longObs = longObs;
      this.scores = scores;
    }

    @Override
    public EnvReply step(EnvRequest r) {
      seen.put(r.id(), r);
      int k = r.modelTurns();
      if (r.last() || k >= 2) {
        return EnvReply.done(
            r.last() ? -1 : 1,
            !r.last(),
            scores && !r.last() ? new double[] {0.25, 1} : null,
            "ok");
      }
      return EnvReply.observation(longObs > 0 ? "x".repeat(longObs) : "obs" + k);
    }
  }

  static EnvConfig env(int maxTurns, List<String> stop, int maxTokens) {
    return new EnvConfig("unused", null, null, maxTurns, stop, maxTokens, 2, 20, 3);
  }

  Episodes.Batch run(Game game, EnvConfig env, PromptStyle style, int maxNew) {
    return run(game, env, style, maxNew, folder.stopTokenIds());
  }

  Episodes.Batch run(
      Game game, EnvConfig env, PromptStyle style, int maxNew, java.util.Set<Integer> stops) {
    Prompts<JsonlRow> prompts = new Prompts<>(task, style, folder);
    try (JavaEnvironment client = new JavaEnvironment(game, 2, Duration.ofSeconds(20))) {
      return new Episodes<>(task, prompts, style, folder, env, client)
          .run(model, rows, 3, SamplingParams.sample(maxNew, stops, 7), "s1");
    }
  }

  private static String text(int[] ids) {
    return folder.tokenizer().decode(ids);
  }

  @Test
  void plainEpisodesAppendTheObservationTextAndTurnScoresBecomeTokenRewards() {
    Game game = new Game(0, true);
    Episodes.Batch b = run(game, env(3, List.of("\n"), 200), PromptStyle.PLAIN, 6);
    assertThat(b.results()).hasSize(6);
    assertThat(b.failures()).isZero();
    assertThat(b.envCalls()).isEqualTo(12);
    assertThat(b.meanTurns()).isEqualTo(2.0);
    for (int r = 0; r < 6; r++) {
      ScoredSample s = b.results().get(r).scored();
      Sample x = s.sample();
      assertThat(x.turns()).isEqualTo(2);
      // what the environment saw: the row, and the model's turns as text
      EnvRequest second = game.seen.get("s1:" + r + ":2");
      assertThat(second.prompt().asText()).isEqualTo(r < 3 ? "Guess" : "Again");
      assertThat(second.answer().asInt()).isEqualTo(r < 3 ? 3 : 9);
      assertThat(second.metadata().path("id").asText()).isEqualTo(r < 3 ? "a" : "b");
      assertThat(second.turns())
          .extracting(EnvRequest.Turn::role)
          .containsExactly("assistant", "environment", "assistant");
      assertThat(second.turns().get(1).content()).isEqualTo("obs1");
      // the completion: turn 1, the observation's tokens (not the model's), turn 2
      int obsStart = -1, obsEnd = -1;
      for (int i = 0; i < x.length(); i++) {
        if (!x.isModelToken(i)) {
          if (obsStart < 0) obsStart = i;
          obsEnd = i + 1;
        }
      }
      int[] obs = Arrays.copyOfRange(x.completionIds(), obsStart, obsEnd);
      assertThat(obs).containsExactly(folder.tokenizer().encode("obs1"));
      String turn1 = second.turns().get(0).content();
      String turn2 = second.turns().get(2).content();
      assertThat(text(Arrays.copyOfRange(x.completionIds(), 0, obsStart))).startsWith(turn1);
      // a turn ends at "\n" (kept) or after 6 tokens
      for (String t : List.of(turn1, turn2)) {
        assertThat(t.indexOf('\n')).isIn(-1, t.length() - 1);
      }
      // turn scores 0.25 then 1: the last token of turn 1 gets 0.25, the episode's last 0.75
      double[] tr = s.tokenRewards();
      assertThat(tr[obsStart - 1]).isEqualTo(0.25);
      assertThat(tr[x.length() - 1]).isEqualTo(0.75);
      assertThat(Arrays.stream(tr).sum()).isCloseTo(1.0, within(1e-12));
      assertThat(s.outcome().success()).isTrue();
      assertThat(s.text()).isEqualTo(turn1 + "obs1" + turn2);
    }
    assertThat(b.maskedShare()).isGreaterThan(0).isLessThan(1);
  }

  @Test
  void chatEpisodesAppendWhatTheTemplateRendersForTheObservation() {
    Game game = new Game(0, false);
    // turns end at the template's end of turn (<|im_end|>) or after 5 tokens
    int imEnd = folder.tokenizer().tokenId("<|im_end|>").getAsInt();
    Episodes.Batch b =
        run(game, env(3, List.of(), 300), PromptStyle.CHAT, 5, java.util.Set.of(imEnd));
    assertThat(b.failures())
        .as("%s", b.results().stream().map(Scoring.Result::failure).toList())
        .isZero();
    var template = folder.chatTemplate().orElseThrow();
    for (int r = 0; r < 6; r++) {
      Sample x = b.results().get(r).scored().sample();
      EnvRequest second = game.seen.get("s1:" + r + ":2");
      // prompt + everything up to the end of the observation = the template's rendering of the
      // conversation so far with the generation prompt
      int obsEnd = 0;
      for (int i = 0; i < x.length(); i++) if (!x.isModelToken(i)) obsEnd = i + 1;
      int[] upTo = new int[x.promptIds().length + obsEnd];
      System.arraycopy(x.promptIds(), 0, upTo, 0, x.promptIds().length);
      System.arraycopy(x.completionIds(), 0, upTo, x.promptIds().length, obsEnd);
      List<Map<String, Object>> messages = new ArrayList<>();
      messages.add(Map.of("role", "user", "content", r < 3 ? "Guess" : "Again"));
      messages.add(Map.of("role", "assistant", "content", second.turns().get(0).content()));
      messages.add(Map.of("role", "user", "content", "obs1"));
      assertThat(text(upTo)).isEqualTo(template.render(messages, true));
      // no turn scores: the whole reward on the last token
      double[] tr = b.results().get(r).scored().tokenRewards();
      assertThat(tr[x.length() - 1]).isEqualTo(1.0);
      assertThat(Arrays.stream(tr).sum()).isEqualTo(1.0);
    }
  }

  @Test
  void toolsOfARowReachQwensTemplateAndToolAnswersRenderAsToolResponses() throws Exception {
    // the tiny model with Qwen2.5's chat template (tool calling) instead of its own
    Path qwen = dir.resolve("qwen-template");
    TinyPreset.write("tiny", qwen, 3, DType.F32);
    Path config = qwen.resolve("tokenizer_config.json");
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    var tree = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(config.toFile());
    tree.put(
        "chat_template",
        new String(
            EpisodesTest.class.getResourceAsStream("/qwen2.5/chat_template.jinja").readAllBytes(),
            StandardCharsets.UTF_8));
    json.writeValue(config.toFile(), tree);
    // the template's tool instructions alone are ~540 byte tokens: room beyond the preset's 512
    Path shape = qwen.resolve("config.json");
    var c = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(shape.toFile());
    c.put("max_position_embeddings", 1024);
    json.writeValue(shape.toFile(), c);
    Path data = dir.resolve("tools.jsonl");
    Files.writeString(
        data,
        "{\"id\": \"t\", \"prompt\": \"Weather?\", \"answer\": 1, \"tools\": [{\"type\": \"function\","
            + " \"function\": {\"name\": \"get_weather\", \"parameters\": {}}}]}\n");
    List<Problem<JsonlRow>> toolRows = JsonlDataset.read(data, JsonlSettings.DEFAULTS);
    JsonlTask toolTask = new JsonlTask(JsonlSettings.DEFAULTS, toolRows, new MathMatch());
    try (ModelFolder f = ModelFolder.open(qwen)) {
      Prompts<JsonlRow> prompts = new Prompts<>(toolTask, PromptStyle.CHAT, f);
      String prompt = prompts.text(toolRows.get(0));
      assertThat(prompt)
          .contains("# Tools")
          .contains("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"")
          .endsWith("<|im_start|>user\nWeather?<|im_end|>\n<|im_start|>assistant\n");
      Environment tool =
          r ->
              r.modelTurns() < 2
                  ? EnvReply.observation("22C", "tool")
                  : EnvReply.done(1, true, null, "");
      Qwen2Model m = f.loadModel(DType.F32, new Device("cpu"));
      int imEnd = f.tokenizer().tokenId("<|im_end|>").getAsInt();
      try (JavaEnvironment client = new JavaEnvironment(tool, 1, Duration.ofSeconds(20))) {
        Episodes.Batch b =
            new Episodes<>(toolTask, prompts, PromptStyle.CHAT, f, env(2, List.of(), 200), client)
                .run(m, toolRows, 2, SamplingParams.sample(6, java.util.Set.of(imEnd), 5), "t");
        assertThat(b.failures()).isZero();
        for (Scoring.Result r : b.results()) {
          Sample x = r.scored().sample();
          int[] ids = x.completionIds();
          int k = 0;
          while (x.isModelToken(k)) k++;
          int start = k;
          while (!x.isModelToken(k)) k++;
          String o = f.tokenizer().decode(Arrays.copyOfRange(ids, start, k));
          boolean closed = ids[start - 1] == imEnd;
          assertThat(o)
              .isEqualTo(
                  (closed ? "" : "<|im_end|>")
                      + "\n<|im_start|>user\n<tool_response>\n22C\n</tool_response><|im_end|>\n"
                      + "<|im_start|>assistant\n");
        }
      }
    }
  }

  @Test
  void anObservationThatDoesNotFitEndsTheEpisodeWithAFinalRequest() {
    Game game = new Game(60, false);
    Episodes.Batch b = run(game, env(3, List.of(), 40), PromptStyle.PLAIN, 6);
    assertThat(b.failures()).isZero();
    for (int r = 0; r < 6; r++) {
      ScoredSample s = b.results().get(r).scored();
      assertThat(s.sample().turns()).isEqualTo(1);
      assertThat(s.outcome().reward()).isEqualTo(-1);
      assertThat(game.seen.get("s1:" + r + ":1:final").last()).isTrue();
    }
  }

  @Test
  void aFailingEnvironmentFailsItsEpisodesWithTheReason() {
    Environment broken =
        r ->
            r.modelTurns() == 1 && r.id().startsWith("s1:0:")
                ? null
                : EnvReply.done(0, false, null, "");
    Environment scoresWrong = r -> EnvReply.done(1, true, new double[] {1, 2, 3}, "");
    Prompts<JsonlRow> prompts = new Prompts<>(task, PromptStyle.PLAIN, folder);
    try (JavaEnvironment client = new JavaEnvironment(broken, 2, Duration.ofSeconds(20))) {
      Episodes.Batch b =
          new Episodes<>(task, prompts, PromptStyle.PLAIN, folder, env(2, List.of(), 100), client)
              .run(model, rows, 2, SamplingParams.sample(4, folder.stopTokenIds(), 1), "s1");
      assertThat(b.failures()).isEqualTo(1);
      assertThat(b.results().get(0).failure()).contains("no reply (null)");
      assertThat(b.results().get(1).failed()).isFalse();
    }
    try (JavaEnvironment client = new JavaEnvironment(scoresWrong, 2, Duration.ofSeconds(20))) {
      Episodes.Batch b =
          new Episodes<>(task, prompts, PromptStyle.PLAIN, folder, env(2, List.of(), 100), client)
              .run(model, rows, 1, SamplingParams.sample(4, folder.stopTokenIds(), 1), "s1");
      assertThat(b.failures()).isEqualTo(2);
      assertThat(b.results().get(0).failure())
          .contains("turn_scores has 3 entries for 1 model turns");
    }
  }

  @Test
  void tokenRewardsPutEachTurnsScoreOnItsLastToken() {
    // turns: ids 0-1, observation 2-3, turn 4, observation 5, turns 6-7
    boolean[] m = {true, true, false, false, true, false, true, true};
    Sample s = new Sample(0, new int[] {1}, new int[8], new float[8], new float[8], null, m);
    assertThat(Episodes.tokenRewards(s, 2.0, new double[] {0.5, 0.5, 1.5}))
        .containsExactly(0, 0.5, 0, 0, 0, 0, 0, 1.5);
    assertThat(Episodes.tokenRewards(s, 2.0, null)).containsExactly(0, 0, 0, 0, 0, 0, 0, 2.0);
  }
}
