package io.grpo4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A load generator for an OpenAI-compatible server: N streaming {@code /v1/completions} requests, C
 * at a time, each timed from sending to its first text chunk (time to first token) and to {@code
 * data: [DONE]} (latency); tokens are read from the final usage chunk.
 */
public final class ServeBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What one benchmark run measured; times in seconds. */
  public record Result(
      int requests,
      int concurrency,
      int failed,
      double wallSeconds,
      double latencyP50,
      double latencyP90,
      double latencyP99,
      double ttftP50,
      double ttftP90,
      double ttftP99,
      long completionTokens,
      double tokensPerSecond,
      double requestsPerSecond,
      long promptTokens) {

    /** Completed (not failed) requests. */
    public int succeeded() {
      return requests - failed;
    }

    public String table() {
      return String.format(
          "requests %d (failed %d), concurrency %d, wall %.2f s%n"
              + "latency   p50 %7.1f ms  p90 %7.1f ms  p99 %7.1f ms%n"
              + "TTFT      p50 %7.1f ms  p90 %7.1f ms  p99 %7.1f ms%n"
              + "throughput %.1f completion tokens/s (%d tokens), %.2f requests/s%n",
          requests,
          failed,
          concurrency,
          wallSeconds,
          1e3 * latencyP50,
          1e3 * latencyP90,
          1e3 * latencyP99,
          1e3 * ttftP50,
          1e3 * ttftP90,
          1e3 * ttftP99,
          tokensPerSecond,
          completionTokens,
          requestsPerSecond);
    }
  }

  private record One(
      boolean ok, double latency, double ttft, long tokens, long promptTokens, String error) {}

  /**
   * What the server says a decode step reads ({@code /v1/models}' {@code grpo4j} extension of the
   * model card; absent on other servers).
   *
   * @param decodeWeightBytes weights read by one decode step, whatever its batch
   * @param kvBytesPerPosition KV-cache bytes per position of one sequence
   */
  public record ModelFacts(long decodeWeightBytes, long kvBytesPerPosition, String weights) {

    /**
     * Bytes read per generated token when {@code concurrency} sequences share each decode step: the
     * weights once per step, split over its rows, plus the token's own KV cache up to {@code
     * context} positions.
     */
    public double bytesPerToken(double concurrency, double context) {
      return decodeWeightBytes / concurrency + kvBytesPerPosition * context;
    }
  }

  /** The model card's {@code grpo4j} facts of model {@code id}, or null when it has none. */
  public ModelFacts modelFacts(String id) throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(request("models").GET().build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) return null;
    for (JsonNode card : JSON.readTree(r.body()).path("data")) {
      JsonNode f = card.path("grpo4j");
      if (card.path("id").asText().equals(id) && f.isObject())
        return new ModelFacts(
            f.path("decode_weight_bytes").asLong(),
            f.path("kv_bytes_per_position").asLong(),
            f.path("weights").asText());
    }
    return null;
  }

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final URI base;
  private final String apiKey;

  /**
   * @param baseUrl e.g. {@code http://127.0.0.1:8000} or {@code http://127.0.0.1:8000/v1}
   */
  public ServeBenchmark(String baseUrl, String apiKey) {
    String b = baseUrl.replaceAll("/+$", "");
    if (!b.endsWith("/v1")) b += "/v1";
    this.base = URI.create(b + "/");
    this.apiKey = apiKey;
  }

  /** The id of the first model the server lists. */
  public String firstModel() throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(request("models").GET().build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200)
      throw new IOException(base + "models answered " + r.statusCode() + ": " + r.body());
    JsonNode data = JSON.readTree(r.body()).path("data");
    if (!data.isArray() || data.isEmpty())
      throw new IOException(base + "models lists no model: " + r.body());
    return data.get(0).path("id").asText();
  }

  /**
   * Sends {@code requests} completions of the prompts (cycled), {@code concurrency} in flight.
   *
   * @param temperature 0 = greedy
   * @param ignoreEos ask for exactly maxTokens tokens (vLLM's {@code ignore_eos} extension)
   */
  public Result run(
      String model,
      List<String> prompts,
      int requests,
      int concurrency,
      int maxTokens,
      double temperature,
      boolean ignoreEos)
      throws InterruptedException {
    if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts");
    if (requests <= 0 || concurrency <= 0)
      throw new IllegalArgumentException("requests and concurrency must be > 0");
    AtomicInteger next = new AtomicInteger();
    List<One> results = new ArrayList<>();
    long t0 = System.nanoTime();
    try (ExecutorService pool = Executors.newFixedThreadPool(concurrency)) {
      List<Future<List<One>>> workers = new ArrayList<>();
      for (int w = 0; w < concurrency; w++) {
        workers.add(
            pool.submit(
                () -> {
                  List<One> mine = new ArrayList<>();
                  for (int i; (i = next.getAndIncrement()) < requests; ) {
                    mine.add(
                        one(
                            model,
                            prompts.get(i % prompts.size()),
                            maxTokens,
                            temperature,
                            ignoreEos,
                            i));
                  }
                  return mine;
                }));
      }
      for (Future<List<One>> f : workers) {
        try {
          results.addAll(f.get());
        } catch (java.util.concurrent.ExecutionException e) {
          throw new IllegalStateException("benchmark worker failed: " + e.getCause(), e.getCause());
        }
      }
    }
    double wall = (System.nanoTime() - t0) / 1e9;
    double[] lat = results.stream().filter(One::ok).mapToDouble(One::latency).sorted().toArray();
    double[] ttft = results.stream().filter(One::ok).mapToDouble(One::ttft).sorted().toArray();
    long tokens = results.stream().filter(One::ok).mapToLong(One::tokens).sum();
    long promptTokens = results.stream().filter(One::ok).mapToLong(One::promptTokens).sum();
    int failed = (int) results.stream().filter(r -> !r.ok()).count();
    if (failed == results.size()) {
      throw new IllegalStateException(
          "every request failed; first error: " + results.get(0).error());
    }
    return new Result(
        requests,
        concurrency,
        failed,
        wall,
        pct(lat, 50),
        pct(lat, 90),
        pct(lat, 99),
        pct(ttft, 50),
        pct(ttft, 90),
        pct(ttft, 99),
        tokens,
        tokens / wall,
        (results.size() - failed) / wall,
        promptTokens);
  }

  private One one(
      String model,
      String prompt,
      int maxTokens,
      double temperature,
      boolean ignoreEos,
      int index) {
    ObjectNode body = JSON.createObjectNode();
    body.put("model", model);
    body.put("prompt", prompt);
    body.put("max_tokens", maxTokens);
    body.put("temperature", temperature);
    body.put("seed", index);
    if (ignoreEos) body.put("ignore_eos", true);
    body.put("stream", true);
    body.putObject("stream_options").put("include_usage", true);
    long start = System.nanoTime();
    try {
      HttpRequest req =
          request("completions")
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
              .build();
      HttpResponse<java.io.InputStream> r =
          http.send(req, HttpResponse.BodyHandlers.ofInputStream());
      if (r.statusCode() != 200) {
        String err = new String(r.body().readAllBytes(), StandardCharsets.UTF_8);
        return new One(false, 0, 0, 0, 0, r.statusCode() + " " + err);
      }
      double ttft = Double.NaN;
      long tokens = 0;
      long promptTokens = 0;
      boolean done = false;
      try (BufferedReader in =
          new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          if (!line.startsWith("data: ")) continue;
          String data = line.substring(6);
          if (data.equals("[DONE]")) {
            done = true;
            break;
          }
          JsonNode chunk = JSON.readTree(data);
          if (chunk.has("error")) return new One(false, 0, 0, 0, 0, chunk.get("error").toString());
          if (Double.isNaN(ttft) && chunk.path("choices").size() > 0)
            ttft = (System.nanoTime() - start) / 1e9;
          if (chunk.path("usage").isObject()) {
            tokens = chunk.path("usage").path("completion_tokens").asLong();
            promptTokens = chunk.path("usage").path("prompt_tokens").asLong();
          }
        }
      }
      if (!done) return new One(false, 0, 0, 0, 0, "stream ended without [DONE]");
      return new One(true, (System.nanoTime() - start) / 1e9, ttft, tokens, promptTokens, null);
    } catch (IOException | InterruptedException e) {
      if (e instanceof InterruptedException) Thread.currentThread().interrupt();
      return new One(false, 0, 0, 0, 0, e.toString());
    }
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofMinutes(10));
    if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
    return b;
  }

  /** Nearest-rank percentile of sorted values; NaN when empty. */
  static double pct(double[] sorted, double p) {
    if (sorted.length == 0) return Double.NaN;
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }
}
