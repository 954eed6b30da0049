package io.grpo4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.grpo4j.generate.BatchEngine;
import io.grpo4j.generate.GenerationRequest;
import io.grpo4j.generate.QueueFullException;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.Tokenizer;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * An OpenAI-compatible HTTP API over a {@link BatchEngine}: {@code GET /v1/models}, {@code POST
 * /v1/completions}, {@code POST /v1/chat/completions} (with {@code stream: true} as server-sent
 * events ending in {@code data: [DONE]}), {@code GET /health} and {@code GET /metrics}.
 *
 * <p>Every failure is answered in OpenAI's error shape with a 4xx/5xx status and the server keeps
 * running: malformed JSON or fields (400), unknown model (404), body over the limit (413), engine
 * queue full (429), missing or wrong key when one is configured (401). A streaming client that
 * disconnects is noticed at the next write and its request cancelled, which frees its batch slots.
 */
public final class OpenAiServer implements AutoCloseable {
  /**
   * @param host interface to bind; loopback unless the operator chooses otherwise
   * @param port 0 picks a free port (see {@link #port()})
   * @param modelName the id clients send as {@code model} for the base model
   * @param apiKey required as {@code Authorization: Bearer KEY} on /v1 routes; null = open
   * @param maxBodyBytes larger request bodies are refused with 413
   * @param adapterNames the ids of the engine's LoRA adapters, each also a {@code model} clients
   *     may send (listed by /v1/models with the base as {@code parent}, as vLLM lists LoRA modules)
   */
  public record Settings(
      String host,
      int port,
      String modelName,
      String apiKey,
      long maxBodyBytes,
      List<String> adapterNames) {
    public Settings {
      adapterNames = List.copyOf(adapterNames);
      if (adapterNames.contains(modelName))
        throw new IllegalArgumentException(
            "adapter name '" + modelName + "' is the base model's served name; choose another");
    }

    /** A server of the base model alone. */
    public Settings(String host, int port, String modelName, String apiKey, long maxBodyBytes) {
      this(host, port, modelName, apiKey, maxBodyBytes, List.of());
    }
  }

  private static final ObjectMapper JSON =
      new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

  private final Settings settings;
  private final BatchEngine engine;
  private final Tokenizer tokenizer;
  private final RequestParser parser;
  private final ServerMetrics metrics = new ServerMetrics();
  private final long created = System.currentTimeMillis() / 1000;
  private final Javalin app;

  private interface Endpoint {
    void handle(Context ctx) throws Exception;
  }

  private OpenAiServer(Settings settings, ModelFolder folder, BatchEngine engine) {
    this.settings = settings;
    this.engine = engine;
    this.tokenizer = folder.tokenizer();
    this.parser =
        new RequestParser(
            settings.modelName(),
            settings.adapterNames(),
            tokenizer,
            folder.chatTemplate(),
            folder.stopTokenIds(),
            engine.maxModelLen(),
            engine.maxBatch());
    this.app =
        Javalin.create(
            cfg -> {
              cfg.startup.showJavalinBanner = false;
              cfg.startup.showOldJavalinVersionWarning = false;
              cfg.http.maxRequestSize = settings.maxBodyBytes();
              cfg.jetty.host = settings.host();
              cfg.jetty.port = settings.port();
              cfg.routes.get(
                  "/health",
                  ctx -> handle("/health", ctx, false, c -> json(c, 200, Map.of("status", "ok"))));
              cfg.routes.get("/metrics", ctx -> handle("/metrics", ctx, false, this::metrics));
              cfg.routes.get("/v1/models", ctx -> handle("/v1/models", ctx, true, this::models));
              cfg.routes.post(
                  "/v1/completions",
                  ctx -> handle("/v1/completions", ctx, true, c -> generate(c, false)));
              cfg.routes.post(
                  "/v1/chat/completions",
                  ctx -> handle("/v1/chat/completions", ctx, true, c -> generate(c, true)));
              cfg.routes.exception(
                  HttpResponseException.class,
                  (e, ctx) -> {
                    error(
                        ctx,
                        new ApiException(
                            e.getStatus(), e.getMessage(), "invalid_request_error", null, null));
                    metrics.request("other", e.getStatus());
                  });
              cfg.routes.error(
                  404,
                  ctx -> {
                    if (ctx.res().getContentType() == null
                        || !ctx.res().getContentType().startsWith("application/json")) {
                      error(
                          ctx,
                          new ApiException(
                              404,
                              "no route " + ctx.method() + " " + ctx.path(),
                              "invalid_request_error",
                              null,
                              "not_found"));
                    }
                  });
            });
  }

  /** Starts the server (returns once it listens). */
  public static OpenAiServer start(Settings settings, ModelFolder folder, BatchEngine engine) {
    OpenAiServer s = new OpenAiServer(settings, folder, engine);
    s.app.start();
    return s;
  }

  /** The port it listens on (the chosen one when started with port 0). */
  public int port() {
    return app.port();
  }

  @Override
  public void close() {
    app.stop();
  }

  /** Runs one endpoint: key check, body limit, errors in OpenAI's shape, request counting. */
  private void handle(String name, Context ctx, boolean authenticated, Endpoint endpoint) {
    try {
      if (authenticated && settings.apiKey() != null) {
        String auth = ctx.header("Authorization");
        if (auth == null || !auth.equals("Bearer " + settings.apiKey())) {
          throw new ApiException(
              401,
              auth == null
                  ? "Missing API key: send 'Authorization: Bearer KEY'"
                  : "Incorrect API key provided",
              "invalid_request_error",
              null,
              "invalid_api_key");
        }
      }
      long length = ctx.req().getContentLengthLong();
      if (length > settings.maxBodyBytes()) {
        throw new ApiException(
            413,
            "request body of "
                + length
                + " bytes exceeds the limit of "
                + settings.maxBodyBytes()
                + " bytes",
            "invalid_request_error",
            null,
            "request_too_large");
      }
      endpoint.handle(ctx);
    } catch (ApiException e) {
      error(ctx, e);
    } catch (HttpResponseException e) {
      error(
          ctx,
          new ApiException(e.getStatus(), e.getMessage(), "invalid_request_error", null, null));
    } catch (Exception e) {
      error(ctx, new ApiException(500, "internal error: " + e, "server_error", null, null));
    }
    metrics.request(name, ctx.res().getStatus());
  }

  private void models(Context ctx) {
    List<Wire.ModelCard> cards = new ArrayList<>();
    cards.add(
        new Wire.ModelCard(
            settings.modelName(),
            "model",
            created,
            "grpo4j",
            engine.maxModelLen(),
            null,
            new Wire.ModelFacts(
                engine.model().decodeWeightBytes(),
                engine.model().kvBytesPerPosition(),
                engine.model().weightsDescription())));
    for (String a : settings.adapterNames())
      cards.add(
          new Wire.ModelCard(
              a, "model", created, "grpo4j", engine.maxModelLen(), settings.modelName(), null));
    json(ctx, 200, new Wire.ModelList("list", cards));
  }

  private void metrics(Context ctx) {
    ctx.status(200)
        .contentType("text/plain; version=0.0.4; charset=utf-8")
        .result(metrics.render(engine.stats()));
  }

  private void generate(Context ctx, boolean chat) throws Exception {
    long start = System.nanoTime();
    JsonNode body = RequestParser.parseBody(ctx.bodyAsBytes());
    GenerationJob job = chat ? parser.chat(body) : parser.completion(body);
    CompletionRun run = new CompletionRun(job, tokenizer, start);
    BatchEngine.Ticket ticket;
    try {
      ticket =
          engine.submit(
              new GenerationRequest(
                  job.promptIds(), job.n(), job.params(), job.topLogprobs(), job.adapter()),
              run);
    } catch (QueueFullException e) {
      throw new ApiException(429, e.getMessage(), "rate_limit_error", null, "queue_full");
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(null, e.getMessage());
    }
    String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
    long createdAt = System.currentTimeMillis() / 1000;
    try {
      int completionTokens =
          job.stream()
              ? stream(ctx, job, run, id, createdAt)
              : respond(ctx, job, run, id, createdAt);
      metrics.completed(
          job.promptIds().length,
          completionTokens,
          (System.nanoTime() - start) / 1e9,
          run.timeToFirstTokenSeconds());
    } finally {
      ticket.cancel(); // no-op when it finished; frees the slots when the client went away or we
      // failed
    }
  }

  /** Collects every event into one response; returns the completion tokens. */
  private int respond(Context ctx, GenerationJob job, CompletionRun run, String id, long createdAt)
      throws InterruptedException {
    int n = job.n();
    StringBuilder[] text = new StringBuilder[n];
    List<List<CompletionRun.TokenLogprob>> lps = new ArrayList<>();
    String[] finish = new String[n];
    int tokens = 0;
    for (int i = 0; i < n; i++) {
      text[i] = new StringBuilder();
      lps.add(new ArrayList<>());
    }
    for (int done = 0; done < n; ) {
      switch (run.next()) {
        case CompletionRun.Delta d -> {
          text[d.choice()].append(d.text());
          lps.get(d.choice()).addAll(d.logprobs());
        }
        case CompletionRun.Finished f -> {
          finish[f.choice()] = f.reason();
          tokens += f.completionTokens();
          done++;
        }
        case CompletionRun.Failed f ->
            throw new ApiException(
                500, "generation failed: " + f.error().getMessage(), "server_error", null, null);
      }
    }
    Wire.Usage usage =
        new Wire.Usage(job.promptIds().length, tokens, job.promptIds().length + tokens);
    if (job.chat()) {
      List<Wire.ChatChoice> choices = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        choices.add(
            new Wire.ChatChoice(
                i,
                new Wire.ChatMessage("assistant", text[i].toString()),
                job.logprobs() ? chatLogprobs(lps.get(i)) : null,
                finish[i]));
      }
      json(
          ctx,
          200,
          new Wire.ChatCompletion(id, "chat.completion", createdAt, job.model(), choices, usage));
    } else {
      List<Wire.CompletionChoice> choices = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        choices.add(
            new Wire.CompletionChoice(
                i,
                text[i].toString(),
                job.logprobs() ? completionLogprobs(lps.get(i)) : null,
                finish[i]));
      }
      json(
          ctx,
          200,
          new Wire.Completion(id, "text_completion", createdAt, job.model(), choices, usage));
    }
    return tokens;
  }

  /** Streams events as server-sent events; returns the completion tokens. */
  private int stream(Context ctx, GenerationJob job, CompletionRun run, String id, long createdAt)
      throws InterruptedException {
    ctx.status(200);
    ctx.res().setContentType("text/event-stream; charset=utf-8");
    ctx.res().setHeader("Cache-Control", "no-cache");
    ctx.res().setHeader("X-Accel-Buffering", "no");
    String model = job.model();
    int tokens = 0;
    try {
      OutputStream out = ctx.res().getOutputStream();
      if (job.chat()) {
        for (int i = 0; i < job.n(); i++) {
          send(
              out,
              new Wire.ChatChunk(
                  id,
                  "chat.completion.chunk",
                  createdAt,
                  model,
                  List.of(
                      new Wire.ChatChunkChoice(i, new Wire.ChatDelta("assistant", ""), null, null)),
                  null));
        }
      }
      for (int done = 0; done < job.n(); ) {
        Object chunk;
        switch (run.next()) {
          case CompletionRun.Delta d ->
              chunk =
                  streamChunk(
                      job,
                      id,
                      createdAt,
                      model,
                      d.choice(),
                      d.text(),
                      job.logprobs() ? d.logprobs() : null,
                      null);
          case CompletionRun.Finished f -> {
            tokens += f.completionTokens();
            done++;
            chunk = streamChunk(job, id, createdAt, model, f.choice(), null, null, f.reason());
          }
          case CompletionRun.Failed f ->
              chunk =
                  new Wire.ErrorBody(
                      new Wire.ErrorDetail(
                          "generation failed: " + f.error().getMessage(),
                          "server_error",
                          null,
                          null));
        }
        send(out, chunk);
        if (chunk instanceof Wire.ErrorBody) break;
      }
      if (job.includeUsage()) {
        Wire.Usage usage =
            new Wire.Usage(job.promptIds().length, tokens, job.promptIds().length + tokens);
        send(
            out,
            job.chat()
                ? new Wire.ChatChunk(
                    id, "chat.completion.chunk", createdAt, model, List.of(), usage)
                : new Wire.Completion(id, "text_completion", createdAt, model, List.of(), usage));
      }
      out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
    } catch (IOException e) {
      // the client went away: the caller cancels the request, which frees its slots
    }
    return tokens;
  }

  private static void send(OutputStream out, Object chunk) throws IOException {
    out.write(
        ("data: " + JSON.writeValueAsString(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /**
   * One streamed piece of choice {@code choice}: a text delta (with its log-probs when asked for),
   * or the closing piece with {@code finishReason} and no text.
   */
  private static Object streamChunk(
      GenerationJob job,
      String id,
      long createdAt,
      String model,
      int choice,
      String text,
      List<CompletionRun.TokenLogprob> logprobs,
      String finishReason) {
    if (job.chat()) {
      Wire.ChatChunkChoice c =
          new Wire.ChatChunkChoice(
              choice,
              new Wire.ChatDelta(null, text),
              logprobs == null ? null : chatLogprobs(logprobs),
              finishReason);
      return new Wire.ChatChunk(id, "chat.completion.chunk", createdAt, model, List.of(c), null);
    }
    Wire.CompletionChoice c =
        new Wire.CompletionChoice(
            choice,
            text == null ? "" : text,
            logprobs == null ? null : completionLogprobs(logprobs),
            finishReason);
    return new Wire.Completion(id, "text_completion", createdAt, model, List.of(c), null);
  }

  private static Wire.ChatLogprobs chatLogprobs(List<CompletionRun.TokenLogprob> lps) {
    List<Wire.ChatTokenLogprob> content = new ArrayList<>();
    for (CompletionRun.TokenLogprob t : lps) {
      List<Wire.ChatTopLogprob> top = new ArrayList<>();
      for (CompletionRun.TopLogprob x : t.top())
        top.add(new Wire.ChatTopLogprob(x.token(), x.logprob(), unsigned(x.bytes())));
      content.add(new Wire.ChatTokenLogprob(t.token(), t.logprob(), unsigned(t.bytes()), top));
    }
    return new Wire.ChatLogprobs(content);
  }

  private static Wire.CompletionLogprobs completionLogprobs(List<CompletionRun.TokenLogprob> lps) {
    List<String> tokens = new ArrayList<>();
    List<Float> values = new ArrayList<>();
    List<Map<String, Float>> tops = new ArrayList<>();
    List<Integer> offsets = new ArrayList<>();
    int offset = 0;
    for (CompletionRun.TokenLogprob t : lps) {
      tokens.add(t.token());
      values.add(t.logprob());
      Map<String, Float> top = new LinkedHashMap<>();
      for (CompletionRun.TopLogprob x : t.top()) top.putIfAbsent(x.token(), x.logprob());
      tops.add(top);
      offsets.add(offset);
      offset += t.token().length();
    }
    return new Wire.CompletionLogprobs(tokens, values, tops, offsets);
  }

  private static List<Integer> unsigned(byte[] bytes) {
    List<Integer> out = new ArrayList<>(bytes.length);
    for (byte b : bytes) out.add(b & 0xff);
    return out;
  }

  private static void json(Context ctx, int status, Object body) {
    try {
      ctx.status(status).contentType("application/json").result(JSON.writeValueAsBytes(body));
    } catch (IOException e) {
      throw new IllegalStateException("could not write JSON: " + e.getMessage(), e);
    }
  }

  private static void error(Context ctx, ApiException e) {
    json(
        ctx,
        e.status(),
        new Wire.ErrorBody(new Wire.ErrorDetail(e.getMessage(), e.type(), e.param(), e.code())));
  }
}
