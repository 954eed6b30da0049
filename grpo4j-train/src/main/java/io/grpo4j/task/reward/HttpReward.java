package io.grpo4j.task.reward;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rewards from an HTTP service: each batch is POSTed as a JSON array of request objects ({@link
 * RewardRequest#toJson}) to {@code url} with {@code Content-Type: application/json}; the service
 * answers 200 with a JSON array of response objects ({@link RewardProtocol}), matched by {@code id}
 * in any order.
 *
 * <p>A batch is split into {@code concurrency} chunks POSTed in parallel. Each POST must answer
 * within {@code timeout}. Connection errors, timeouts, 429 and 5xx answers are retried up to {@code
 * retries} times with exponential backoff (0.5 s, 1 s, 2 s, ...); other answers and exhausted
 * retries fail the chunk's requests with a message naming the URL.
 */
public final class HttpReward implements RewardSource {
  private static final Logger LOG = LoggerFactory.getLogger(HttpReward.class);

  private final URI url;
  private final int concurrency;
  private final Duration timeout;
  private final int retries;
  private final Duration backoff;
  private final HttpClient client;

  /**
   * @param url the service endpoint
   * @param concurrency chunks POSTed in parallel per batch
   * @param timeout the longest one POST may take
   * @param retries extra tries after a retryable failure
   * @param backoff the wait before the first retry; it doubles for each further retry
   */
  public HttpReward(String url, int concurrency, Duration timeout, int retries, Duration backoff) {
    try {
      this.url = URI.create(url);
      if (this.url.getScheme() == null || !this.url.getScheme().startsWith("http")) {
        throw new IllegalArgumentException("not an http(s) URL");
      }
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException("reward source 'http': bad url '" + url + "'");
    }
    if (concurrency < 1) {
      throw new IllegalArgumentException("reward.concurrency must be >= 1, got " + concurrency);
    }
    if (retries < 0) {
      throw new IllegalArgumentException("reward.retries must be >= 0, got " + retries);
    }
    this.concurrency = concurrency;
    this.timeout = timeout;
    this.retries = retries;
    this.backoff = backoff;
    this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  @Override
  public List<Judgement> judge(List<RewardRequest> batch) {
    int k = Math.min(concurrency, batch.size());
    int size = k == 0 ? 0 : (batch.size() + k - 1) / k;
    List<Judgement> out = new ArrayList<>(batch.size());
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      List<CompletableFuture<List<Judgement>>> futures = new ArrayList<>();
      for (int from = 0; from < batch.size(); from += size) {
        List<RewardRequest> chunk = batch.subList(from, Math.min(batch.size(), from + size));
        futures.add(CompletableFuture.supplyAsync(() -> post(chunk), threads));
      }
      for (CompletableFuture<List<Judgement>> f : futures) out.addAll(f.join());
    }
    return out;
  }

  private List<Judgement> post(List<RewardRequest> chunk) {
    ArrayNode body = RewardProtocol.JSON.createArrayNode();
    for (RewardRequest r : chunk) body.add(r.toJson());
    HttpRequest request =
        HttpRequest.newBuilder(url)
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
            .build();
    String problem = null;
    for (int attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        long wait = backoff.toMillis() << Math.min(attempt - 1, 20);
        LOG.warn(
            "POST {} failed ({}); retry {} of {} in {} ms", url, problem, attempt, retries, wait);
        try {
          Thread.sleep(wait);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      HttpResponse<String> response;
      try {
        response = client.send(request, HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        problem =
            e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        problem = "interrupted";
        break;
      }
      int status = response.statusCode();
      if (status == 429 || status >= 500) {
        problem = "HTTP " + status;
        continue;
      }
      if (status != 200) {
        return failAll(chunk, "HTTP " + status + ": " + RewardProtocol.abbreviate(response.body()));
      }
      return parse(chunk, response.body());
    }
    return failAll(chunk, problem + " (after " + (retries + 1) + " tries)");
  }

  private List<Judgement> parse(List<RewardRequest> chunk, String body) {
    JsonNode array;
    try {
      array = RewardProtocol.JSON.readTree(body);
    } catch (JsonProcessingException e) {
      return failAll(chunk, "response is not JSON: " + RewardProtocol.abbreviate(body));
    }
    if (array == null || !array.isArray()) {
      return failAll(
          chunk, "response must be a JSON array of results: " + RewardProtocol.abbreviate(body));
    }
    List<RewardProtocol.Response> responses = new ArrayList<>();
    for (JsonNode item : array) {
      try {
        responses.add(RewardProtocol.parse(item));
      } catch (IllegalArgumentException e) {
        LOG.warn("POST {}: {}", url, e.getMessage());
      }
    }
    return RewardProtocol.match(
        chunk,
        responses,
        "POST " + url + ": no result for this id",
        s -> LOG.warn("POST {}: {}", url, s));
  }

  private List<Judgement> failAll(List<RewardRequest> chunk, String why) {
    String message = "reward service POST " + url + " failed: " + why;
    LOG.warn(message);
    return chunk.stream().map(r -> Judgement.failure(message)).toList();
  }
}
