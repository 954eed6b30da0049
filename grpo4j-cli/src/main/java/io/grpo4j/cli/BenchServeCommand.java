package io.grpo4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpo4j.serve.ServeBenchmark;
import io.grpo4j.task.PromptStyle;
import io.grpo4j.task.countdown.CountdownTask;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "bench-serve",
    description =
        "Load-test an OpenAI-compatible server: p50/p90/p99 latency, time to first token, tokens/s.")
final class BenchServeCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--url", description = "Server base URL (default: ${DEFAULT-VALUE}).")
  String url = "http://127.0.0.1:8000";

  @Option(names = "--concurrency", description = "Requests in flight (default: ${DEFAULT-VALUE}).")
  int concurrency = 1;

  @Option(names = "--requests", description = "Requests in all (default: ${DEFAULT-VALUE}).")
  int requests = 32;

  @Option(
      names = "--prompt-file",
      description =
          "Prompts: one per line, or JSONL objects with a \"prompt\" field (default: Countdown prompts).")
  Path promptFile;

  @Option(
      names = "--max-tokens",
      description = "max_tokens per request (default: ${DEFAULT-VALUE}).")
  int maxTokens = 64;

  @Option(
      names = "--temperature",
      defaultValue = "0",
      description = "Sampling temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
  double temperature;

  @Option(
      names = "--model",
      description = "Model id to request (default: the first one /v1/models lists).")
  String model;

  @Option(names = "--api-key", description = "Sent as 'Authorization: Bearer KEY'.")
  String apiKey;

  @Option(
      names = "--ignore-eos",
      description = "Generate exactly --max-tokens tokens per request (vLLM's ignore_eos).")
  boolean ignoreEos;

  @Option(names = "--warmup", description = "Untimed requests first (default: ${DEFAULT-VALUE}).")
  int warmup = 2;

  @Override
  public Integer call() throws Exception {
    ServeBenchmark bench = new ServeBenchmark(url, apiKey);
    String id = model != null ? model : bench.firstModel();
    List<String> prompts = promptFile != null ? readPrompts(promptFile) : countdownPrompts(64);
    if (warmup > 0) bench.run(id, prompts, warmup, 1, maxTokens, temperature, ignoreEos);
    ServeBenchmark.Result r =
        bench.run(id, prompts, requests, concurrency, maxTokens, temperature, ignoreEos);
    System.out.printf(
        "bench-serve %s model '%s', max_tokens %d%s, temperature %s%n",
        url, id, maxTokens, ignoreEos ? " (ignore_eos)" : "", temperature);
    System.out.print(r.table());
    ServeBenchmark.ModelFacts facts = bench.modelFacts(id);
    if (facts != null && r.succeeded() > 0) System.out.print(bandwidth(facts, r, concurrency));
    return r.failed() == 0 ? 0 : 1;
  }

  /** Memory bandwidth of an L4, the seed's card: what its decode floor is computed with. */
  static final double L4_BYTES_PER_S = 300e9;

  /**
   * Bytes a generated token reads (weights shared by the {@code concurrency} rows of a step, plus
   * the token's KV cache at the mean context) and the decode floor of a mean request at 300 GB/s:
   * mean completion tokens × bytes per token / bandwidth (the prefill not counted).
   */
  static String bandwidth(ServeBenchmark.ModelFacts f, ServeBenchmark.Result r, int concurrency) {
    double tokens = (double) r.completionTokens() / r.succeeded();
    double prompt = (double) r.promptTokens() / r.succeeded();
    double context = prompt + Math.max(0, tokens - 1) / 2; // mean positions a decode step reads
    double perToken = f.bytesPerToken(concurrency, context);
    double floorMs = 1e3 * tokens * perToken / L4_BYTES_PER_S;
    return String.format(
        "bytes read per generated token (%s, concurrency %d): %.1f MB weights%s + %.2f MB KV"
            + " (mean context %.0f positions) = %.1f MB%n"
            + "decode floor of a mean request (%.1f tokens) at 300 GB/s (L4): %.1f ms;"
            + " measured latency p50 here %.1f ms%n",
        f.weights(),
        concurrency,
        f.decodeWeightBytes() / 1e6,
        concurrency > 1 ? String.format(" / %d rows", concurrency) : "",
        f.kvBytesPerPosition() * context / 1e6,
        context,
        perToken / 1e6,
        tokens,
        floorMs,
        1e3 * r.latencyP50());
  }

  static List<String> readPrompts(Path file) throws Exception {
    List<String> out = new ArrayList<>();
    int lineNo = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      lineNo++;
      if (line.isBlank()) continue;
      if (line.startsWith("{")) {
        JsonNode n = JSON.readTree(line);
        if (!n.path("prompt").isTextual())
          throw new IllegalArgumentException(
              file + ":" + lineNo + ": expected a \"prompt\" string field");
        out.add(n.get("prompt").asText());
      } else {
        out.add(line.replace("\\n", "\n"));
      }
    }
    if (out.isEmpty()) throw new IllegalArgumentException(file + " holds no prompts");
    return out;
  }

  /** Plain-style Countdown prompts, as the shipped tiny model was trained on. */
  static List<String> countdownPrompts(int n) {
    CountdownTask task = CountdownTask.defaults();
    List<String> out = new ArrayList<>();
    for (var p : task.draw(12345, n)) out.add(task.prompt(p, PromptStyle.PLAIN));
    return out;
  }
}
