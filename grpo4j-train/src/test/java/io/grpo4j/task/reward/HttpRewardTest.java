package io.grpo4j.task.reward;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The HTTP reward against an in-JVM server. */
class HttpRewardTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private HttpServer server;
  private final AtomicInteger calls = new AtomicInteger();
  private final List<Integer> failFirst = Collections.synchronizedList(new ArrayList<>());

  interface Handler {
    void handle(HttpExchange ex, JsonNode body) throws IOException;
  }

  private String serve(Handler h) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/reward",
        ex -> {
          calls.incrementAndGet();
          JsonNode body = JSON.readTree(ex.getRequestBody());
          h.handle(ex, body);
          ex.close();
        });
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.start();
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/reward";
  }

  @AfterEach
  void stop() {
    if (server != null) server.stop(0);
  }

  static void reply(HttpExchange ex, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
  }

  /** Answers every request of the array with reward = completion length, in reverse order. */
  static void lengths(HttpExchange ex, JsonNode body) throws IOException {
    ArrayNode out = JSON.createArrayNode();
    for (int i = body.size() - 1; i >= 0; i--) {
      JsonNode r = body.get(i);
      out.addObject()
          .put("id", r.get("id").asText())
          .put("reward", r.get("completion").asText().length());
    }
    reply(ex, 200, out.toString());
  }

  static HttpReward client(String url, int concurrency, Duration timeout) {
    return new HttpReward(url, concurrency, timeout, 2, Duration.ofMillis(10));
  }

  @Test
  void batchesArePostedAsArraysAndAnsweredInAnyOrder() throws IOException {
    String url = serve(HttpRewardTest::lengths);
    try (HttpReward r = client(url, 2, Duration.ofSeconds(20))) {
      List<Judgement> got = r.judge(CommandRewardTest.batch("a", "bb", "ccc", "dddd", "eeeee"));
      assertThat(got).extracting(Judgement::reward).containsExactly(1.0, 2.0, 3.0, 4.0, 5.0);
      assertThat(calls.get()).isEqualTo(2); // two chunks in parallel
    }
  }

  @Test
  void serverErrorsAreRetriedWithBackoff() throws IOException {
    String url =
        serve(
            (ex, body) -> {
              if (calls.get() <= 2) reply(ex, 503, "busy");
              else lengths(ex, body);
            });
    try (HttpReward r = client(url, 1, Duration.ofSeconds(20))) {
      assertThat(r.judge(CommandRewardTest.batch("abc")).get(0).reward()).isEqualTo(3.0);
      assertThat(calls.get()).isEqualTo(3);
    }
  }

  @Test
  void clientErrorsAndExhaustedRetriesFailNamingTheUrl() throws IOException {
    String url = serve((ex, body) -> reply(ex, body.size() == 1 ? 400 : 500, "no"));
    try (HttpReward r = client(url, 1, Duration.ofSeconds(20))) {
      Judgement bad = r.judge(CommandRewardTest.batch("x")).get(0);
      assertThat(bad.failed()).isTrue();
      assertThat(bad.reason()).contains(url).contains("HTTP 400");
      int before = calls.get();
      Judgement down = r.judge(CommandRewardTest.batch("x", "y")).get(1);
      assertThat(down.reason()).contains(url).contains("HTTP 500").contains("after 3 tries");
      assertThat(calls.get() - before).isEqualTo(3);
    }
  }

  @Test
  void timeoutsMissingIdsAndUnreachableServicesAreFailures() throws IOException {
    String url =
        serve(
            (ex, body) -> {
              if (body.get(0).get("completion").asText().equals("slow")) {
                try {
                  Thread.sleep(3000);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
              // answers only the first request of the array
              reply(ex, 200, "[{\"id\":\"" + body.get(0).get("id").asText() + "\",\"reward\":1}]");
            });
    try (HttpReward r = new HttpReward(url, 1, Duration.ofMillis(500), 0, Duration.ZERO)) {
      List<Judgement> partial = r.judge(CommandRewardTest.batch("a", "b"));
      assertThat(partial.get(0).reward()).isEqualTo(1.0);
      assertThat(partial.get(1).failed()).isTrue();
      assertThat(partial.get(1).reason()).contains("no result for this id");
      Judgement slow = r.judge(CommandRewardTest.batch("slow")).get(0);
      assertThat(slow.failed()).isTrue();
      assertThat(slow.reason()).contains(url).containsIgnoringCase("timeout");
    }
    server.stop(0);
    server = null;
    try (HttpReward r = new HttpReward(url, 1, Duration.ofSeconds(2), 1, Duration.ofMillis(10))) {
      Judgement refused = r.judge(CommandRewardTest.batch("a")).get(0);
      assertThat(refused.failed()).isTrue();
      assertThat(refused.reason()).contains(url).contains("after 2 tries");
    }
  }
}
