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
    return r.failed() == 0 ? 0 : 1;
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
