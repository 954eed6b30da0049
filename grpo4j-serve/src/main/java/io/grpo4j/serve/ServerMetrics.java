package io.grpo4j.serve;

import io.grpo4j.generate.BatchEngine;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * Counters and histograms for {@code GET /metrics}, written in Prometheus' text exposition format
 * (version 0.0.4) by hand: a dozen series do not justify a client library.
 */
final class ServerMetrics {
  /** Latency bucket upper bounds in seconds (Prometheus' le labels). */
  static final double[] BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

  private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>(); // "endpoint|status"
  private final AtomicLong promptTokens = new AtomicLong();
  private final AtomicLong completionTokens = new AtomicLong();
  private final Histogram latency = new Histogram();
  private final Histogram firstToken = new Histogram();

  /** A cumulative histogram: per-bucket counts, sum and count. */
  static final class Histogram {
    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS.length);
    private final DoubleAdder sum = new DoubleAdder();
    private final AtomicLong count = new AtomicLong();

    void observe(double seconds) {
      if (Double.isNaN(seconds)) return;
      for (int i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) counts.incrementAndGet(i);
      sum.add(seconds);
      count.incrementAndGet();
    }

    void write(StringBuilder out, String name, String help) {
      out.append("# HELP ").append(name).append(' ').append(help).append('\n');
      out.append("# TYPE ").append(name).append(" histogram\n");
      for (int i = 0; i < BUCKETS.length; i++) {
        out.append(name)
            .append("_bucket{le=\"")
            .append(BUCKETS[i])
            .append("\"} ")
            .append(counts.get(i))
            .append('\n');
      }
      out.append(name).append("_bucket{le=\"+Inf\"} ").append(count.get()).append('\n');
      out.append(name).append("_sum ").append(sum.sum()).append('\n');
      out.append(name).append("_count ").append(count.get()).append('\n');
    }
  }

  void request(String endpoint, int status) {
    requests.computeIfAbsent(endpoint + "|" + status, k -> new AtomicLong()).incrementAndGet();
  }

  void completed(int prompt, int completion, double latencySeconds, double ttftSeconds) {
    promptTokens.addAndGet(prompt);
    completionTokens.addAndGet(completion);
    latency.observe(latencySeconds);
    firstToken.observe(ttftSeconds);
  }

  String render(BatchEngine.Stats engine) {
    StringBuilder out = new StringBuilder();
    out.append("# HELP grpo4j_requests_total HTTP requests by endpoint and status code.\n");
    out.append("# TYPE grpo4j_requests_total counter\n");
    for (var e : new TreeMap<>(requests).entrySet()) {
      String[] k = e.getKey().split("\\|", 2);
      out.append("grpo4j_requests_total{endpoint=\"")
          .append(k[0])
          .append("\",status=\"")
          .append(k[1])
          .append("\"} ")
          .append(e.getValue().get())
          .append('\n');
    }
    counter(
        out,
        "grpo4j_prompt_tokens_total",
        "Prompt tokens of completed generation requests.",
        promptTokens.get());
    counter(
        out,
        "grpo4j_completion_tokens_total",
        "Tokens generated for completed requests.",
        completionTokens.get());
    gauge(out, "grpo4j_queue_length", "Requests waiting for a batch slot.", engine.queued());
    gauge(out, "grpo4j_running_sequences", "Completions being decoded now.", engine.running());
    gauge(
        out,
        "grpo4j_batch_slots",
        "Completions that can be decoded together (--max-batch).",
        engine.slots());
    counter(
        out,
        "grpo4j_decode_steps_total",
        "Batched decode steps run by the engine.",
        engine.decodeSteps());
    counter(
        out,
        "grpo4j_generated_tokens_total",
        "Tokens sampled by the engine (cancelled requests included).",
        engine.generatedTokens());
    counter(
        out,
        "grpo4j_prefill_tokens_total",
        "Prompt tokens prefilled by the engine.",
        engine.prefillTokens());
    latency.write(
        out,
        "grpo4j_request_duration_seconds",
        "Time from arrival to the last token of a generation request.");
    firstToken.write(
        out,
        "grpo4j_time_to_first_token_seconds",
        "Time from arrival to the first generated token.");
    return out.toString();
  }

  private static void counter(StringBuilder out, String name, String help, long v) {
    metric(out, name, help, "counter", v);
  }

  private static void gauge(StringBuilder out, String name, String help, long v) {
    metric(out, name, help, "gauge", v);
  }

  /** One Prometheus text-format sample with its HELP and TYPE lines. */
  private static void metric(StringBuilder out, String name, String help, String type, long v) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    out.append(name).append(' ').append(v).append('\n');
  }
}
