package io.grpo4j.cli;

import io.grpo4j.generate.BatchEngine;
import io.grpo4j.generate.Sampler;
import io.grpo4j.model.LoraAdapters;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.serve.OpenAiServer;
import io.grpo4j.torch.Torch;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "serve",
    description =
        "Serve a model folder behind an OpenAI-compatible HTTP API (continuous batching, streaming, optional int8 weights;"
            + " LoRA adapters on one base, picked by the request's model).")
final class ServeCommand implements Callable<Integer> {
  @Mixin ModelOption model;

  @Mixin ListenOptions listen = new ListenOptions(8000);

  @Option(
      names = "--quantize",
      description = "Weight quantization of the linear layers: int8 (per-output-channel scales).")
  String quantize;

  @Option(names = "--api-key", description = "Require 'Authorization: Bearer KEY' on /v1 routes.")
  String apiKey;

  @Option(
      names = "--max-batch",
      description = "Completions decoded together at most (default: ${DEFAULT-VALUE}).")
  int maxBatch = 32;

  @Option(
      names = "--max-model-len",
      description =
          "Prompt + completion limit in tokens (default: the model's max_position_embeddings, at most 4096).")
  Integer maxModelLen;

  @Option(
      names = "--max-queue",
      description =
          "Requests that may wait for a slot; more are answered 429 (default: ${DEFAULT-VALUE}).")
  int maxQueue = 256;

  @Option(
      names = "--max-body-bytes",
      description = "Largest request body accepted (default: ${DEFAULT-VALUE}).")
  long maxBodyBytes = 1048576;

  @Option(
      names = "--served-model-name",
      description = "The model id clients send (default: the folder's name).")
  String servedName;

  @Option(
      names = "--blas-threads",
      description =
          "OpenBLAS threads; decode steps are small GEMMs that gain little from more, "
              + "and lose much when cores are shared (default: ${DEFAULT-VALUE}).")
  int blasThreads = 1;

  @Option(
      names = "--decode",
      description =
          "Decode steps: dynamic (shapes of the occupied slots), static (fixed shapes per"
              + " batch/length bucket), cuda_graph (static, each bucket's step replayed as a CUDA"
              + " graph), or auto = cuda_graph on CUDA, dynamic on a CPU (default: ${DEFAULT-VALUE}).")
  String decode = "auto";

  @Mixin TorchOptions torchOptions;

  @Override
  public Integer call() throws Exception {
    if (quantize != null && !quantize.equals("int8"))
      throw new IllegalArgumentException("--quantize must be int8, got " + quantize);
    String device = torchOptions.init(0);
    Torch.setBlasThreads(blasThreads);
    // --model may be a LoRA checkpoint: it is served merged; --adapter NAME=DIR adds adapters that
    // requests pick by name, all sharing this one base
    ModelFolder folder = ModelFolder.open(model.dir);
    Qwen2Model m = folder.loadMerged(torchOptions.dtype(), device);
    Map<String, LoraAdapters> adapters = new LinkedHashMap<>();
    for (var e : model.named().entrySet())
      adapters.put(e.getKey(), LoraAdapters.load(e.getValue(), folder.config(), device));
    long denseBytes = m.weightBytes();
    if (quantize != null) m = m.quantizedInt8();
    int len =
        maxModelLen != null ? maxModelLen : Math.min(folder.config().maxPositionEmbeddings(), 4096);
    Sampler.Decode mode =
        decode.equalsIgnoreCase("auto")
            ? (m.device().is_cuda() ? Sampler.Decode.CUDA_GRAPH : Sampler.Decode.DYNAMIC)
            : Sampler.Decode.parse(decode);
    BatchEngine engine =
        new BatchEngine(m, adapters, folder.samplableVocab(), maxBatch, len, maxQueue, mode);
    String name =
        servedName != null
            ? servedName
            : model.dir.toAbsolutePath().normalize().getFileName().toString();
    OpenAiServer server =
        OpenAiServer.start(
            new OpenAiServer.Settings(
                listen.host,
                listen.port,
                name,
                apiKey,
                maxBodyBytes,
                List.copyOf(adapters.keySet())),
            folder,
            engine);
    long adapterBytes = 0;
    for (LoraAdapters a : adapters.values()) adapterBytes += a.parameterCount() * 4;
    System.out.printf(
        "grpo4j serve: model '%s' (%s%s, weights %.1f MB%s), max batch %d, max model len %d,"
            + " decode %s%n",
        name,
        torchOptions.dtype,
        quantize != null ? " + int8" : "",
        m.weightBytes() / 1e6,
        quantize != null ? String.format(" vs %.1f MB unquantized", denseBytes / 1e6) : "",
        maxBatch,
        len,
        mode.name().toLowerCase(java.util.Locale.ROOT));
    if (!adapters.isEmpty())
      System.out.printf(
          "  LoRA adapters on the same base: %s (%.1f MB in all, f32)%n",
          String.join(", ", adapters.keySet()), adapterBytes / 1e6);
    System.out.printf(
        "listening on http://%s:%d/v1  (GET /health, GET /metrics)%s%n",
        listen.urlHost(), server.port(), apiKey != null ? ", API key required" : "");
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  engine.close();
                  folder.close();
                  stop.countDown();
                }));
    stop.await();
    return 0;
  }
}
