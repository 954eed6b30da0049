package io.grpo4j.cli;

import io.grpo4j.bench.Bench;
import io.grpo4j.config.TrainOptions;
import io.grpo4j.generate.Sampler;
import io.grpo4j.model.Qwen2Config;
import io.grpo4j.model.TinyPreset;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Torch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code grpo4j bench}: parses options, runs {@link Bench}, prints the table and writes the JSON.
 */
@Command(
    name = "bench",
    description = {
      "Measure this machine and the model code: GEMM peak, train tokens/s and MFU, reference forward,",
      "rollout and prefill tokens/s, decode overhead, peak memory. Medians after warm-up. See docs/performance.md."
    })
final class BenchCommand implements Callable<Integer> {

  @Option(
      names = "--preset",
      description =
          "tiny, bench25m, or a config.json file / model folder (default: ${DEFAULT-VALUE}).")
  String preset = "bench25m";

  /** --device, --dtype (f32 or bf16 here; training keeps f32 master weights), --threads. */
  @Mixin TorchOptions torch;

  @Mixin JsonOutput json;

  @Option(
      names = "--blas-threads",
      description = "OpenBLAS threads; 0 = leave OpenBLAS's default (one per core).")
  int blasThreads = 0;

  @Option(names = "--batch", description = "Training rows (default: ${DEFAULT-VALUE}).")
  int batch = 64;

  @Option(names = "--seq", description = "Tokens per training row (default: ${DEFAULT-VALUE}).")
  int seq = 128;

  @Option(names = "--prompts", description = "Rollout prompts (default: ${DEFAULT-VALUE}).")
  int prompts = 16;

  @Option(
      names = "--group-size",
      description = "Samples per rollout prompt, G (default: ${DEFAULT-VALUE}).")
  int group = 8;

  @Option(
      names = "--new-tokens",
      description = "Tokens generated per sample (default: ${DEFAULT-VALUE}).")
  int newTokens = 64;

  @Option(
      names = "--prompt-length",
      description = "Tokens per rollout prompt (default: ${DEFAULT-VALUE}).")
  int promptLength = 64;

  @Option(
      names = "--decode-batch",
      description = "Rows of the decode-overhead measurement (default: ${DEFAULT-VALUE}).")
  int decodeBatch = 64;

  @Option(
      names = "--warmup",
      description = "Untimed runs before each measurement (default: ${DEFAULT-VALUE}).")
  int warmup = 1;

  @Option(
      names = "--repeats",
      description = "Timed runs; the median is reported (default: ${DEFAULT-VALUE}).")
  int repeats = 3;

  @Option(
      names = "--micro-batch",
      description =
          "Rows per forward/backward of the train step, gradients accumulated over the batch; 0 = the whole batch at once (default: ${DEFAULT-VALUE}).")
  int microBatch = 16;

  @Option(
      names = "--gradient-checkpointing",
      description = "Train with per-layer gradient checkpointing.")
  boolean checkpointing;

  @Option(
      names = "--logits-chunk",
      description = "Tokens per lm_head chunk in the loss (default: ${DEFAULT-VALUE}).")
  int logitsChunk = 1024;

  @Option(
      names = "--skip",
      split = ",",
      description =
          "Phases to skip: gemm, train, ref, rollout, decode (their keys are then absent).")
  java.util.Set<String> skip = java.util.Set.of();

  @Option(
      names = "--gemm-max",
      description =
          "Largest square GEMM tried for the peak; 0 = 2048 on a CPU, 8192 on a GPU (default).")
  int gemmMax = 0;

  @Option(
      names = "--decode",
      description =
          "Rollout decode steps: dynamic, static (positions and picks on the device) or cuda_graph"
              + " (CUDA only) (default: ${DEFAULT-VALUE}).")
  String decode = "dynamic";

  @Option(
      names = "--lora",
      description =
          "Also time the rollout through LoRA adapters of this rank on every projection, on the"
              + " fly and from a merged copy refreshed per rollout; 0 = off (default: ${DEFAULT-VALUE}).")
  int lora = 0;

  @Override
  public Integer call() throws Exception {
    for (String phase : skip) {
      if (!java.util.List.of("gemm", "train", "ref", "rollout", "decode").contains(phase)) {
        throw new IllegalArgumentException(
            "--skip: unknown phase '" + phase + "', expected gemm, train, ref, rollout or decode");
      }
    }
    DType d = torch.dtype();
    if (d != DType.F32 && d != DType.BF16)
      throw new IllegalArgumentException(
          "--dtype must be f32 or bf16 for bench, got " + torch.dtype);
    Qwen2Config config = config(preset);
    String device = torch.init(0);
    Torch.setBlasThreads(blasThreads);
    Bench.Settings s =
        new Bench.Settings(
            preset,
            config,
            d,
            device,
            batch,
            seq,
            prompts,
            group,
            newTokens,
            promptLength,
            decodeBatch,
            warmup,
            repeats,
            new TrainOptions(checkpointing, logitsChunk, false),
            skip,
            gemmMax,
            microBatch,
            Sampler.Decode.parse(decode),
            lora);
    Map<String, Object> r = Bench.run(s, line -> System.err.println("bench: " + line));
    print(r);
    if (json.write(r)) {
      System.out.println("wrote " + json.file);
    }
    return 0;
  }

  private static Qwen2Config config(String preset) throws java.io.IOException {
    if (preset.equals("tiny") || preset.equals("bench25m")) return TinyPreset.config(preset);
    Path p = Path.of(preset);
    if (Files.isDirectory(p)) p = p.resolve("config.json");
    if (!Files.isRegularFile(p)) {
      throw new IllegalArgumentException(
          "--preset '"
              + preset
              + "': expected tiny, bench25m, or an existing config.json file or model folder");
    }
    return Qwen2Config.read(p);
  }

  @SuppressWarnings("unchecked")
  private static void print(Map<String, Object> r) {
    Map<String, Object> c = (Map<String, Object>) r.get("config");
    System.out.printf(
        "grpo4j bench: preset %s, %,d parameters, dtype %s, device %s, %s threads, %s BLAS threads, OMP_WAIT_POLICY=%s%n",
        c.get("preset"),
        (Long) c.get("parameters"),
        c.get("dtype"),
        c.get("device"),
        c.get("threads"),
        c.get("blas_threads"),
        c.get("omp_wait_policy"));
    System.out.printf(
        "cpu: %s; bf16 flags: %s; bf16 units %s (model.dtype auto picks %s on a cpu)%n",
        c.get("cpu_model"),
        c.get("cpu_bf16_flags"),
        Boolean.TRUE.equals(c.get("cpu_bf16_units")) ? "yes" : "no",
        Boolean.TRUE.equals(c.get("cpu_bf16_units")) ? "bf16" : "f32");
    if (r.containsKey("gemm_gflops_f32")) {
      for (String d : java.util.List.of("f32", "bf16")) {
        row(
            "GEMM peak " + d,
            "%.1f GFLOP/s (at %d^3)",
            r.get("gemm_gflops_" + d),
            r.get("gemm_size_" + d));
      }
    }
    if (r.containsKey("train_tokens_per_s")) {
      row(
          "train",
          "%.0f tokens/s, %.3f s/step, %.1f GFLOP/s%s (%s x %s tokens)",
          r.get("train_tokens_per_s"),
          r.get("train_step_s"),
          r.get("train_gflops"),
          r.containsKey("train_mfu")
              ? String.format(", MFU %.1f%%", 100 * (double) r.get("train_mfu"))
              : "",
          c.get("batch"),
          c.get("seq"));
      row(
          "train memory",
          "peak RSS %s (+%s during the step); CPU share %.0f%% of %s threads%s",
          mib((long) r.get("train_peak_rss_bytes")),
          mib((long) r.get("train_peak_rss_growth_bytes")),
          100 * (double) r.get("train_cpu_share"),
          c.get("threads"),
          (double) r.get("train_cpu_share") < 0.9
              ? " (other processes competed: times are noisy)"
              : "");
    }
    if (r.containsKey("ref_tokens_per_s"))
      row("reference forward", "%.0f tokens/s", r.get("ref_tokens_per_s"));
    if (r.containsKey("rollout_tokens_per_s")) {
      row(
          "rollout",
          "%.0f tokens/s (%s prompts x G=%s, %s new tokens)",
          r.get("rollout_tokens_per_s"),
          c.get("prompts"),
          c.get("group_size"),
          c.get("new_tokens"));
      if (r.containsKey("rollout_lora_on_the_fly_tokens_per_s")) {
        row(
            "rollout, LoRA",
            "r=%s: %.0f tokens/s on the fly, %.0f tokens/s merged (refresh %.1f ms included)",
            c.get("lora_rank"),
            r.get("rollout_lora_on_the_fly_tokens_per_s"),
            r.get("rollout_lora_merged_tokens_per_s"),
            1e3 * (double) r.get("lora_merge_s"));
        if (r.containsKey("rollout_lora_merged_cpu_tokens_per_s")
            && r.containsKey("rollout_lora_on_the_fly_cpu_tokens_per_s"))
          row(
              "rollout, LoRA CPU",
              "%.0f tokens per CPU second on the fly, %.0f merged (the work alone: wall times on a busy"
                  + " machine include waits)",
              r.get("rollout_lora_on_the_fly_cpu_tokens_per_s"),
              r.get("rollout_lora_merged_cpu_tokens_per_s"));
      }
    }
    if (r.containsKey("decode_overhead_ratio")) {
      row("prefill", "%.0f tokens/s", r.get("prefill_tokens_per_s"));
      row(
          "decode step",
          "%.2f ms vs %.2f ms of matrix products: overhead ratio %.2f (batch %s)",
          1e3 * (double) r.get("decode_step_s"),
          1e3 * (double) r.get("decode_matmul_s"),
          r.get("decode_overhead_ratio"),
          c.get("decode_batch"));
    }
    row(
        "peak RSS",
        "%s (JavaCPP physical %s, tracked native %s)",
        mib((long) r.get("peak_rss_bytes")),
        mib((long) r.get("native_physical_bytes")),
        mib((long) r.get("native_tracked_bytes")));
  }

  private static void row(String name, String format, Object... args) {
    System.out.printf("  %-18s %s%n", name, String.format(format, args));
  }

  private static String mib(long bytes) {
    return bytes < 0 ? "n/a" : String.format("%.0f MiB", bytes / 1048576.0);
  }
}
