package io.grpo4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import io.grpo4j.generate.BatchEngine;
import io.grpo4j.generate.Sample;
import io.grpo4j.generate.Sampler;
import io.grpo4j.generate.SamplingParams;
import io.grpo4j.model.LoraAdapters;
import io.grpo4j.model.LoraConfig;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Torch;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Starts the server on a free loopback port with the shipped tiny model and drives it with the
 * official OpenAI Java SDK (answers checked against the library's own greedy {@link Sampler}) and
 * with raw HTTP for the error cases.
 */
class OpenAiServerTest {
  private static final String KEY = "sk-test";
  private static final String MODEL = "tiny";
  private static final String ADAPTER = "tiny-lora";
  private static final int MAX_LEN = 160;
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ModelFolder folder;
  private static Qwen2Model model;
  private static LoraAdapters adapter;
  private static BatchEngine engine;
  private static OpenAiServer server;
  private static OpenAIClient client;
  private static final HttpClient http = HttpClient.newHttpClient();

  private static int blasThreadsBefore;

  @BeforeAll
  static void start() throws Exception {
    blasThreadsBefore = Torch.setBlasThreads(1); // as `serve` does (see Torch.setBlasThreads)
    folder = ModelFolder.open(Path.of("models/countdown-tiny-sft"));
    model = folder.loadModel(DType.F32, new Device("cpu"));
    // one LoRA adapter on the same base, with B drawn so that it changes the answers
    adapter = LoraAdapters.initialize(model.config(), LoraConfig.of(4, 8), 3, new Device("cpu"));
    try (NoGradGuard ng = new NoGradGuard()) {
      torch.manual_seed(3);
      for (LoraAdapters.Pair p : adapter.modules().values())
        p.b().copy_(torch.randn(io.grpo4j.torch.Tensors.shape(p.b())).mul(new Scalar(0.5)));
    }
    engine =
        new BatchEngine(model, Map.of(ADAPTER, adapter), folder.samplableVocab(), 8, MAX_LEN, 64);
    server =
        OpenAiServer.start(
            new OpenAiServer.Settings("127.0.0.1", 0, MODEL, KEY, 64 * 1024, List.of(ADAPTER)),
            folder,
            engine);
    client =
        OpenAIOkHttpClient.builder()
            .baseUrl(base())
            .apiKey(KEY)
            .maxRetries(0)
            .timeout(Duration.ofSeconds(60))
            .build();
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
    if (engine != null) engine.close();
    if (folder != null) folder.close();
    Torch.setBlasThreads(blasThreadsBefore);
  }

  private static String base() {
    return "http://127.0.0.1:" + server.port() + "/v1";
  }

  private static String countdown(int target, String numbers) {
    return "Reach " + target + " using at most 6 steps: " + numbers + "\n";
  }

  /** Greedy completion by the batch sampler, the reference the server must reproduce. */
  private static Sample greedy(String prompt, int maxTokens) {
    return greedy(model, prompt, maxTokens);
  }

  private static Sample greedy(Qwen2Model m, String prompt, int maxTokens) {
    int[] ids = folder.tokenizer().encode(prompt);
    return new Sampler(m, folder.samplableVocab())
        .generate(List.of(ids), 1, SamplingParams.greedy(maxTokens, folder.stopTokenIds()))
        .samples()
        .get(0);
  }

  private static String text(Sample s) {
    int[] ids = s.completionIds();
    if (s.finishReason() == Sample.FinishReason.STOP) ids = Arrays.copyOf(ids, ids.length - 1);
    return folder.tokenizer().decode(ids);
  }

  private static String chatPrompt(String user) {
    return folder
        .chatTemplate()
        .orElseThrow()
        .render(List.of(Map.of("role", "user", "content", user)), true);
  }

  @Test
  void completionsThroughTheOfficialSdkEqualGreedySampling() {
    String prompt = countdown(24, "3 4 8");
    Completion c =
        client
            .completions()
            .create(
                CompletionCreateParams.builder()
                    .model(MODEL)
                    .prompt(prompt)
                    .maxTokens(40)
                    .temperature(0.0)
                    .build());
    Sample ref = greedy(prompt, 40);
    assertThat(c.choices()).hasSize(1);
    assertThat(c.choices().get(0).text()).isEqualTo(text(ref)).isNotEmpty();
    assertThat(c.choices().get(0).finishReason().asString())
        .isEqualTo(ref.finishReason().wireName());
    assertThat(c.usage().orElseThrow().promptTokens())
        .isEqualTo(folder.tokenizer().encode(prompt).length);
    assertThat(c.usage().orElseThrow().completionTokens()).isEqualTo(ref.length());
    assertThat(c.model()).isEqualTo(MODEL);
  }

  @Test
  void chatStreamingAndNonStreamingGiveTheGreedyAnswer() {
    String user = countdown(43, "3 5 7 11");
    ChatCompletionCreateParams params =
        ChatCompletionCreateParams.builder()
            .model(MODEL)
            .addUserMessage(user)
            .maxCompletionTokens(40)
            .temperature(0.0)
            .build();
    ChatCompletion whole = client.chat().completions().create(params);
    String expected = text(greedy(chatPrompt(user), 40));
    assertThat(whole.choices().get(0).message().content()).contains(expected);
    assertThat(expected).isNotEmpty();

    StringBuilder streamed = new StringBuilder();
    List<String> finish = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream =
        client.chat().completions().createStreaming(params)) {
      stream.stream()
          .forEach(
              chunk ->
                  chunk
                      .choices()
                      .forEach(
                          ch -> {
                            ch.delta().content().ifPresent(streamed::append);
                            ch.finishReason().ifPresent(f -> finish.add(f.asString()));
                          }));
    }
    assertThat(streamed.toString()).isEqualTo(expected);
    assertThat(finish).containsExactly(whole.choices().get(0).finishReason().asString());
  }

  @Test
  void sixteenConcurrentRequestsEachGetTheirOwnGreedyAnswer() throws Exception {
    List<String> prompts = new ArrayList<>();
    for (int i = 0; i < 16; i++)
      prompts.add(countdown(10 + 3 * i, (2 + i % 5) + " " + (3 + i % 7) + " " + (9 - i % 4)));
    try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
      List<Future<String>> answers = new ArrayList<>();
      for (String p : prompts) {
        answers.add(
            pool.submit(
                () ->
                    client
                        .completions()
                        .create(
                            CompletionCreateParams.builder()
                                .model(MODEL)
                                .prompt(p)
                                .maxTokens(30)
                                .temperature(0.0)
                                .build())
                        .choices()
                        .get(0)
                        .text()));
      }
      for (int i = 0; i < 16; i++)
        assertThat(answers.get(i).get())
            .as("prompt %d", i)
            .isEqualTo(text(greedy(prompts.get(i), 30)));
    }
  }

  @Test
  void aStopStringEndsTheTextBeforeIt() {
    String prompt = countdown(24, "3 4 8");
    String full = text(greedy(prompt, 40));
    assertThat(full).contains("\n");
    Completion c =
        client
            .completions()
            .create(
                CompletionCreateParams.builder()
                    .model(MODEL)
                    .prompt(prompt)
                    .maxTokens(40)
                    .temperature(0.0)
                    .stop("\n")
                    .build());
    assertThat(c.choices().get(0).text()).isEqualTo(full.substring(0, full.indexOf('\n')));
    assertThat(c.choices().get(0).finishReason().asString()).isEqualTo("stop");
  }

  @Test
  void modelsListsTheServedModelAndItsAdapter() throws Exception {
    assertThat(client.models().list().data())
        .extracting(m -> m.id())
        .containsExactly(MODEL, ADAPTER);
    JsonNode list =
        JSON.readTree(
            http.send(
                    HttpRequest.newBuilder(URI.create(base() + "/models"))
                        .header("Authorization", "Bearer " + KEY)
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    assertThat(list.path("data").get(1).path("parent").asText()).isEqualTo(MODEL);
  }

  /**
   * The request's model picks the adapter: the adapter's answer is the greedy answer of the base
   * with that adapter, the base's that of the base alone, also when both run in one batch.
   */
  @Test
  void theRequestsModelPicksTheLoraAdapter() throws Exception {
    String prompt = countdown(31, "5 6 1");
    Future<Completion> viaAdapter =
        client
            .async()
            .completions()
            .create(
                CompletionCreateParams.builder()
                    .model(ADAPTER)
                    .prompt(prompt)
                    .maxTokens(40)
                    .temperature(0.0)
                    .build());
    Future<Completion> viaBase =
        client
            .async()
            .completions()
            .create(
                CompletionCreateParams.builder()
                    .model(MODEL)
                    .prompt(prompt)
                    .maxTokens(40)
                    .temperature(0.0)
                    .build());
    Completion a = viaAdapter.get();
    Completion b = viaBase.get();
    String expectedAdapter = text(greedy(model.withLora(adapter), prompt, 40));
    assertThat(a.choices().get(0).text()).isEqualTo(expectedAdapter);
    assertThat(a.model()).isEqualTo(ADAPTER);
    assertThat(b.choices().get(0).text()).isEqualTo(text(greedy(prompt, 40)));
    assertThat(expectedAdapter)
        .as("the adapter changes the answer")
        .isNotEqualTo(text(greedy(prompt, 40)));
  }

  private static HttpResponse<String> post(String path, String body, String key) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base() + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) b.header("Authorization", "Bearer " + key);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertError(
      HttpResponse<String> r, int status, String param, String messagePart) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonNode e = JSON.readTree(r.body()).path("error");
    assertThat(e.isObject()).as(r.body()).isTrue();
    assertThat(e.has("type") && e.has("param") && e.has("code")).isTrue();
    assertThat(e.path("message").asText()).contains(messagePart);
    if (param != null) assertThat(e.path("param").asText()).isEqualTo(param);
  }

  @Test
  void badRequestsGetOpenAiErrorsAndTheServerStaysUp() throws Exception {
    String c = "/completions";
    String chat = "/chat/completions";
    assertError(post(c, "{\"model\": \"tiny\", \"prompt\": ", KEY), 400, null, "not valid JSON");
    assertError(post(c, "[1, 2]", KEY), 400, null, "JSON object");
    assertError(
        post(c, "{\"model\": \"tiny\", \"prompt\": \"a\", \"max_tokens\": \"many\"}", KEY),
        400,
        "max_tokens",
        "must be an integer");
    assertError(
        post(c, "{\"model\": \"tiny\", \"prompt\": \"a\", \"temperature\": 3}", KEY),
        400,
        "temperature",
        "[0.0, 2.0]");
    assertError(
        post(c, "{\"model\": \"gpt-9\", \"prompt\": \"a\"}", KEY), 404, "model", "does not exist");
    assertError(
        post(chat, "{\"model\": \"tiny\", \"messages\": []}", KEY),
        400,
        "messages",
        "must not be empty");
    assertError(
        post(
            chat,
            "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": 5}]}",
            KEY),
        400,
        "messages[0].content",
        "string");
    String longPrompt = "1".repeat(MAX_LEN + 5);
    assertError(
        post(c, "{\"model\": \"tiny\", \"prompt\": \"" + longPrompt + "\"}", KEY),
        400,
        "prompt",
        "maximum context length");
    assertError(
        post(c, "{\"model\": \"tiny\", \"prompt\": \"a\", \"max_tokens\": " + MAX_LEN + "}", KEY),
        400,
        "max_tokens",
        "maximum context length is " + MAX_LEN);
    assertError(
        post(c, "{\"model\": \"tiny\", \"prompt\": \"a\", \"n\": 9}", KEY), 400, "n", "1..8");
    assertError(
        post(c, "{\"model\": \"tiny\", \"prompt\": \"" + "x".repeat(70_000) + "\"}", KEY),
        413,
        null,
        "exceeds the limit");
    assertError(
        post(c, "{\"model\": \"tiny\", \"prompt\": \"a\"}", null), 401, null, "Missing API key");
    assertError(
        post(c, "{\"model\": \"tiny\", \"prompt\": \"a\"}", "sk-wrong"),
        401,
        null,
        "Incorrect API key");

    HttpResponse<String> health =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/health"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
    HttpResponse<String> ok =
        post(
            c,
            "{\"model\": \"tiny\", \"prompt\": \"Reach 5 using at most 6 steps: 1 2 3\\n\", \"max_tokens\": 5, \"n\": 2, \"seed\": 1}",
            KEY);
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(JSON.readTree(ok.body()).path("choices").size()).isEqualTo(2);
  }

  @Test
  void aClientThatDisconnectsMidStreamFreesItsSlot() throws Exception {
    long before = generatedTokens();
    String body =
        "{\"model\": \"tiny\", \"prompt\": \"Reach 5 using at most 6 steps: 1 2 3\\n\", \"max_tokens\": 120, \"ignore_eos\": true, \"stream\": true}";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                  + KEY
                  + "\r\nContent-Type: application/json\r\nContent-Length: "
                  + bytes.length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.UTF_8));
      out.write(bytes);
      out.flush();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
      for (String line; (line = in.readLine()) != null; ) if (line.startsWith("data: ")) break;
    } // closed after the first chunk
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (engine.stats().running() > 0 && System.nanoTime() < deadline) Thread.sleep(10);
    assertThat(engine.stats().running()).isZero();
    assertThat(generatedTokens() - before)
        .as("tokens generated after the client left")
        .isLessThan(120);
  }

  private static long generatedTokens() throws Exception {
    String m =
        http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    for (String line : m.split("\n"))
      if (line.startsWith("grpo4j_generated_tokens_total "))
        return Long.parseLong(line.split(" ")[1]);
    throw new AssertionError("no grpo4j_generated_tokens_total in /metrics:\n" + m);
  }
}
