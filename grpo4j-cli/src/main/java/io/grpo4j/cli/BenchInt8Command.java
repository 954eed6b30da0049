package io.grpo4j.cli;

import io.grpo4j.bench.Int8Bench;
import io.grpo4j.model.Qwen2Config;
import io.grpo4j.torch.Int8Kernel;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "bench-int8",
    description =
        "Time one decode step's matrix products of a model shape: dense weights, int8 widened per"
            + " call, and int8 read by the CUDA kernel (GPU), at several batch sizes.")
final class BenchInt8Command implements Callable<Integer> {
  @Option(
      names = "--preset",
      required = true,
      description =
          "A Qwen2 config.json (e.g. ../shared/fixtures/qwen2.5-1.5b-instruct/config.json).")
  Path config;

  @Option(
      names = "--batches",
      split = ",",
      description = "Decode batch sizes (default: ${DEFAULT-VALUE}).")
  int[] batches = {1, 8, 64};

  @Option(names = "--iterations", description = "Steps per timing (default: ${DEFAULT-VALUE}).")
  int iterations = 10;

  @Option(
      names = "--repeats",
      description = "Timings; the median is kept (default: ${DEFAULT-VALUE}).")
  int repeats = 5;

  @Mixin TorchOptions torchOptions;

  @Override
  public Integer call() throws Exception {
    String device = torchOptions.init(0);
    Qwen2Config c = Qwen2Config.read(config);
    var rows = Int8Bench.run(c, torchOptions.dtype(), device, batches, iterations, repeats);
    System.out.printf(
        "decode-step matrix products of %s (%d layers + LM head) on %s, int8 kernel up to %d rows%n",
        config, c.numHiddenLayers(), device, Int8Kernel.maxRows());
    System.out.printf(
        "%6s  %-13s %12s %12s %14s%n", "batch", "weights", "step ms", "GB/s", "max rel diff");
    for (Int8Bench.Row r : rows) {
      System.out.printf(
          "%6d  %-13s %12.3f %12.1f %14s%n",
          r.batch(),
          r.form(),
          1e3 * r.stepSeconds(),
          r.gbPerS(),
          Double.isNaN(r.diff()) ? "-" : String.format("%.2e", r.diff()));
    }
    return 0;
  }
}
