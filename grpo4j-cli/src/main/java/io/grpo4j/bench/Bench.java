package io.grpo4j.bench;

import io.grpo4j.config.TrainOptions;
import io.grpo4j.generate.Rollout;
import io.grpo4j.generate.Sampler;
import io.grpo4j.generate.SamplingParams;
import io.grpo4j.model.LoraAdapters;
import io.grpo4j.model.LoraConfig;
import io.grpo4j.model.Qwen2Config;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.rl.TokenLogProbs;
import io.grpo4j.torch.Cuda;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.NativeMemory;
import io.grpo4j.torch.Tensors;
import io.grpo4j.torch.Torch;
import io.grpo4j.train.Optimizers;
import io.grpo4j.train.TrainingPass;
import io.grpo4j.train.WorkingWeights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The measurements behind {@code grpo4j bench}: what this machine can do (GEMM peak through
 * libtorch) and how close the model code gets to it (train, reference forward, prefill, rollout,
 * decode overhead). Every time is the median of {@code repeats} runs after {@code warmup} runs.
 * Benchmarks are commands, not tests: nothing here asserts a duration.
 */
public final class Bench {
  private Bench() {}

  /**
   * @param preset name shown in the report (tiny, bench25m or the config file)
   * @param config the model shape (weights are random: speed does not depend on their values)
   * @param dtype compute dtype of every measured phase (training keeps f32 master weights)
   * @param batch training rows; {@code seq} tokens each
   * @param prompts rollout prompts, {@code groupSize} samples each, {@code newTokens} new tokens,
   *     prompts {@code promptLength} tokens long
   * @param decodeBatch rows of the decode-overhead measurement
   * @param skip phases not measured: gemm, train, ref, rollout, decode
   * @param gemmMax largest square GEMM size tried, 0 = {@link #defaultGemmMax}; a size whose one
   *     product takes over 2 s ends the climb (bf16 without hardware support is ~100x slower)
   * @param microBatch rows per forward/backward of the train step, gradients accumulated over the
   *     whole batch before the one optimizer step; 0 = all rows at once
   * @param decode how the rollout's decode steps run ({@link Sampler.Decode})
   * @param loraRank when &gt; 0, the rollout phase also samples through LoRA adapters of this rank
   *     on every projection, both ways a LoRA run can: on the fly ({@code x·Wᵀ + s·(x·Aᵀ)·Bᵀ}) and
   *     from a merged copy ({@code W + s·B·A}) refreshed before each rollout, the refresh timed in
   */
  public record Settings(
      String preset,
      Qwen2Config config,
      DType dtype,
      String device,
      int batch,
      int seq,
      int prompts,
      int groupSize,
      int newTokens,
      int promptLength,
      int decodeBatch,
      int warmup,
      int repeats,
      TrainOptions train,
      Set<String> skip,
      int gemmMax,
      int microBatch,
      Sampler.Decode decode,
      int loraRank) {
    public Settings {
      if (loraRank < 0)
        throw new IllegalArgumentException("bench: --lora must be >= 0, got " + loraRank);
      if (microBatch < 0)
        throw new IllegalArgumentException(
            "bench: --micro-batch must be >= 0 (0 = the whole batch), got " + microBatch);
      if (batch < 1 || seq < 2)
        throw new IllegalArgumentException("bench: --batch must be >= 1 and --seq >= 2");
      if (warmup < 0 || repeats < 1)
        throw new IllegalArgumentException("bench: --warmup must be >= 0 and --repeats >= 1");
      if (promptLength + newTokens > config.maxPositionEmbeddings()
          || seq > config.maxPositionEmbeddings()) {
        throw new IllegalArgumentException(
            "bench: sequence longer than the model's max_position_embeddings "
                + config.maxPositionEmbeddings());
      }
    }
  }

  /**
   * Runs every measurement not in {@code skip}; {@code log} receives one progress line per phase.
   */
  public static Map<String, Object> run(Settings s, Consumer<String> log) {
    Map<String, Object> out = new LinkedHashMap<>();
    Qwen2Config c = s.config();
    Torch.device(s.device()); // fails early, with a clear message, for an unavailable device
    double peak = Double.NaN;
    if (!s.skip().contains("gemm")) {
      log.accept("GEMM peak ...");
      int max = s.gemmMax() > 0 ? s.gemmMax() : defaultGemmMax(device(s));
      double[] f32 = gemmPeak(DType.F32, device(s), max, s.repeats());
      double[] bf16 = gemmPeak(DType.BF16, device(s), max, s.repeats());
      out.put("gemm_gflops_f32", f32[0]);
      out.put("gemm_gflops_bf16", bf16[0]);
      out.put("gemm_size_f32", (int) f32[1]);
      out.put("gemm_size_bf16", (int) bf16[1]);
      peak = s.dtype() == DType.F32 ? f32[0] : bf16[0];
    }
    long tokens = (long) s.batch() * s.seq();
    if (!s.skip().contains("train")) {
      NativeMemory.resetPeakRss();
      if (device(s).is_cuda()) Cuda.resetPeak(device(s).index());
      long rssBefore = NativeMemory.rssBytes();
      log.accept("train step ...");
      long cpu0 = processCpuNanos();
      long wall0 = System.nanoTime();
      double trainS = trainStepSeconds(s);
      double cpuShare =
          (processCpuNanos() - cpu0) / (double) (System.nanoTime() - wall0) / Torch.threads();
      double flops = trainFlops(c, s.batch(), s.seq());
      out.put("train_tokens_per_s", tokens / trainS);
      if (!Double.isNaN(peak)) out.put("train_mfu", flops / trainS / (peak * 1e9));
      out.put("train_step_s", trainS);
      out.put("train_gflops", flops / trainS / 1e9);
      out.put("train_peak_rss_bytes", NativeMemory.peakRssBytes());
      out.put("train_peak_rss_growth_bytes", NativeMemory.peakRssBytes() - rssBefore);
      out.put("train_cpu_share", cpuShare);
      if (device(s).is_cuda()) {
        Cuda.MemoryPeak gpu = Cuda.peak(device(s).index());
        out.put("train_cuda_peak_allocated_bytes", gpu.allocatedBytes());
        out.put("train_cuda_peak_reserved_bytes", gpu.reservedBytes());
      }
    }
    if (!s.skip().contains("ref")) {
      log.accept("reference forward ...");
      out.put("ref_tokens_per_s", tokens / referenceSeconds(s));
    }
    if (!s.skip().contains("rollout")) {
      log.accept("rollout ...");
      Rollout[] roll = new Rollout[1];
      double rollS =
          median(
              s.warmup(),
              s.repeats(),
              () -> {
                roll[0] = rollout(s, s.prompts(), s.groupSize());
                return roll[0].prefillSeconds() + roll[0].decodeSeconds();
              });
      out.put("rollout_tokens_per_s", roll[0].completionTokens() / rollS);
      if (s.loraRank() > 0) {
        log.accept(
            "rollout with LoRA r=" + s.loraRank() + ", on the fly and merged, interleaved ...");
        loraRollouts(s, out, log);
      }
    }
    if (!s.skip().contains("decode")) {
      log.accept("decode overhead ...");
      int decodePrompts = Math.max(1, s.decodeBatch() / s.groupSize());
      int perPrompt = Math.max(1, s.decodeBatch() / decodePrompts);
      double[] prefill = new double[s.repeats()];
      double[] step = new double[s.repeats()];
      for (int i = -s.warmup(); i < s.repeats(); i++) {
        Rollout r = rollout(s, decodePrompts, perPrompt);
        if (i >= 0) {
          prefill[i] = r.promptTokens() / r.prefillSeconds();
          step[i] = r.decodeSeconds() / Math.max(1, s.newTokens() - 1);
        }
      }
      double stepS = median(step);
      int rows = decodePrompts * perPrompt;
      double projectionS = decodeProjectionSeconds(s, rows);
      double attentionS = decodeAttentionSeconds(s, rows);
      out.put("decode_overhead_ratio", stepS / (projectionS + attentionS));
      out.put("prefill_tokens_per_s", median(prefill));
      out.put("decode_step_s", stepS);
      out.put("decode_matmul_s", projectionS + attentionS);
      out.put("decode_projection_s", projectionS);
      out.put("decode_attention_matmul_s", attentionS);
      out.put("decode_projection_ratio", stepS / projectionS);
    }
    out.put("peak_rss_bytes", NativeMemory.peakRssBytes());
    out.put("native_physical_bytes", NativeMemory.physicalBytes());
    out.put("native_tracked_bytes", NativeMemory.trackedNativeBytes());

    Map<String, Object> config = new LinkedHashMap<>();
    config.put("preset", s.preset());
    config.put("dtype", s.dtype().torchName());
    config.put("device", s.device());
    config.put("decode", s.decode().name().toLowerCase(java.util.Locale.ROOT));
    config.put("lora_rank", s.loraRank());
    config.put("threads", Torch.threads());
    config.put("blas_threads", Torch.blasThreads());
    config.put("omp_wait_policy", String.valueOf(System.getenv("OMP_WAIT_POLICY")));
    io.grpo4j.torch.CpuFeatures cpu = io.grpo4j.torch.CpuFeatures.detect();
    config.put("cpu_model", cpu.model());
    config.put("cpu_bf16_flags", String.join(" ", new java.util.TreeSet<>(cpu.flags())));
    config.put("cpu_bf16_units", cpu.bf16Units());
    // glibc's allocator setting changes the train step's speed and peak memory
    // (docs/performance.md).
    config.put("malloc_mmap_max", String.valueOf(System.getenv("MALLOC_MMAP_MAX_")));
    config.put("batch", s.batch());
    config.put("seq", s.seq());
    config.put("micro_batch", s.microBatch());
    config.put("prompts", s.prompts());
    config.put("group_size", s.groupSize());
    config.put("new_tokens", s.newTokens());
    config.put("prompt_length", s.promptLength());
    config.put("decode_batch", s.decodeBatch());
    config.put("warmup", s.warmup());
    config.put("repeats", s.repeats());
    config.put("parameters", c.parameterCount());
    config.putAll(s.train().describe());
    config.put("model", c.toJson(null, s.dtype().torchName()));
    out.put("config", config);
    return out;
  }

  /**
   * Model FLOPs of one training step: 6·N per token plus attention's 12·L·S·(heads·headDim) per
   * token.
   */
  public static double trainFlops(Qwen2Config c, int batch, int seq) {
    double tokens = (double) batch * seq;
    double attention =
        12.0 * c.numHiddenLayers() * seq * (double) c.numAttentionHeads() * c.headDim();
    return tokens * (6.0 * c.parameterCount() + attention);
  }

  /**
   * The largest GEMM tried when {@code --gemm-max} is not given: 2048 on a CPU (larger products
   * take seconds there and gain nothing), 8192 on a GPU, where 2048³ is far from the peak (on an
   * H200: 795 TFLOP/s measured at 8192³, so MFU against a 2048³ peak read 58 % instead of 28 %).
   */
  public static int defaultGemmMax(Device device) {
    return device.is_cuda() ? 8192 : 2048;
  }

  /**
   * {best GFLOP/s, the size it was reached at}: square products of growing size up to {@code max}.
   */
  static double[] gemmPeak(DType dtype, Device device, int max, int repeats) {
    double best = 0;
    int bestSize = 0;
    try (PointerScope scope = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      for (int n = 256; n <= max; n *= 2) {
        Tensor a = torch.randn(n, n).to(device, dtype.scalarType);
        Tensor b = torch.randn(n, n).to(device, dtype.scalarType);
        long t0 = System.nanoTime();
        torch.mm(a, b);
        sync(device);
        double first = (System.nanoTime() - t0) / 1e9;
        double seconds =
            first > 1.0 ? first : median(1, repeats, () -> seconds(device, () -> torch.mm(a, b)));
        double gflops = 2.0 * n * n * (double) n / seconds / 1e9;
        if (gflops > best) {
          best = gflops;
          bestSize = n;
        }
        if (first > 2.0) break;
      }
    }
    return new double[] {best, bestSize};
  }

  private static double trainStepSeconds(Settings s) {
    try (PointerScope scope = new PointerScope()) {
      Qwen2Model master = Qwen2Model.initialize(s.config(), 0, DType.F32, device(s));
      TrainStep step = new TrainStep(master, s.dtype(), s.train());
      Tensor ids = randomIds(s.config(), s.batch(), s.seq(), 1, device(s));
      Tensor valid =
          torch.ones(new long[] {s.batch(), s.seq()}).to(device(s), torch.ScalarType.Bool);
      return timed(s, s.warmup(), s.repeats(), () -> step.run(ids, valid, s.microBatch()));
    }
  }

  private static double referenceSeconds(Settings s) {
    try (PointerScope scope = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      Qwen2Model ref = Qwen2Model.initialize(s.config(), 0, s.dtype(), device(s));
      Tensor ids = randomIds(s.config(), s.batch(), s.seq(), 2, device(s));
      Tensor valid =
          torch.ones(new long[] {s.batch(), s.seq()}).to(device(s), torch.ScalarType.Bool);
      return timed(
          s,
          s.warmup(),
          s.repeats(),
          () -> {
            Tensor h = ref.hiddenPadded(ids, valid, null);
            TokenLogProbs.of(
                ref.logits(h.narrow(1, 0, s.seq() - 1)), ids.narrow(1, 1, s.seq() - 1));
          });
    }
  }

  /** How a LoRA run's rollouts apply the adapters. */
  private enum Adapters {
    NONE("none"),
    ON_THE_FLY("on_the_fly"),
    MERGED("merged");

    final String key;

    Adapters(String key) {
      this.key = key;
    }
  }

  /**
   * The two LoRA rollout paths timed in turns — warm-up rollouts of both first, then per repeat one
   * of each, the order alternating (on the fly, merged; merged, on the fly; …) — so that a drift in
   * the machine's load reaches both medians alike. Puts {@code rollout_lora_<path>_tokens_per_s}
   * (completion tokens over the median of merge + prefill + decode seconds), {@code
   * rollout_lora_<path>_seconds} (every timed repeat, in order), {@code
   * rollout_lora_<path>_cpu_tokens_per_s} and {@code rollout_lora_<path>_cpu_seconds} (the same
   * with the process's CPU seconds of merge + sampling: on a loaded machine with {@code --threads
   * 1} the work itself, where the wall seconds also hold the waits for a core) and {@code
   * lora_merge_s} (the median refresh of the merged copy).
   */
  private static void loraRollouts(Settings s, Map<String, Object> out, Consumer<String> log) {
    List<Adapters> paths = List.of(Adapters.ON_THE_FLY, Adapters.MERGED);
    double[] timings = new double[2]; // [merge wall s, CPU s of merge + sampling]
    long tokens = 0;
    for (int i = 0; i < s.warmup(); i++)
      for (Adapters how : paths) rollout(s, s.prompts(), s.groupSize(), how, timings);
    double[][] seconds = new double[paths.size()][s.repeats()];
    double[][] cpu = new double[paths.size()][s.repeats()];
    double[] merges = new double[s.repeats()];
    for (int i = 0; i < s.repeats(); i++) {
      for (int j = 0; j < paths.size(); j++) {
        int k = i % 2 == 0 ? j : paths.size() - 1 - j;
        Adapters how = paths.get(k);
        Rollout r = rollout(s, s.prompts(), s.groupSize(), how, timings);
        seconds[k][i] = timings[0] + r.prefillSeconds() + r.decodeSeconds();
        cpu[k][i] = timings[1];
        if (how == Adapters.MERGED) merges[i] = timings[0];
        tokens = r.completionTokens();
      }
    }
    for (int k = 0; k < paths.size(); k++) {
      String key = "rollout_lora_" + paths.get(k).key;
      out.put(key + "_tokens_per_s", tokens / median(seconds[k]));
      out.put(key + "_seconds", Arrays.stream(seconds[k]).boxed().toList());
      // the process CPU clock ticks in steps of ~10 ms: a rollout shorter than that reads 0
      if (median(cpu[k]) > 0) out.put(key + "_cpu_tokens_per_s", tokens / median(cpu[k]));
      out.put(key + "_cpu_seconds", Arrays.stream(cpu[k]).boxed().toList());
      log.accept(
          key + ": " + Arrays.toString(seconds[k]) + " s, CPU " + Arrays.toString(cpu[k]) + " s");
    }
    out.put("lora_merge_s", median(merges));
  }

  private static Rollout rollout(Settings s, int prompts, int group) {
    return rollout(s, prompts, group, Adapters.NONE, new double[2]);
  }

  /**
   * One rollout of random prompts; with adapters ({@code how}), rank-{@link Settings#loraRank}
   * adapters on every projection (B random, as after training), and for {@code MERGED} the seconds
   * of refreshing the merged copy ({@link Qwen2Model#mergeInto}, as a LoRA run does before each
   * rollout) in {@code timings[0]}; {@code timings[1]}: the process's CPU seconds of that refresh
   * and the sampling (not of building the model).
   */
  private static Rollout rollout(
      Settings s, int prompts, int group, Adapters how, double[] timings) {
    try (PointerScope scope = new PointerScope()) {
      Qwen2Model m = Qwen2Model.initialize(s.config(), 0, s.dtype(), device(s));
      timings[0] = 0;
      long cpu0 = 0;
      if (how != Adapters.NONE) {
        LoraAdapters ad =
            LoraAdapters.initialize(
                s.config(), LoraConfig.of(s.loraRank(), 2.0 * s.loraRank()), 1, device(s));
        try (NoGradGuard ng = new NoGradGuard()) {
          for (LoraAdapters.Pair p : ad.modules().values())
            p.b().normal_(0.0, 0.02, new GeneratorOptional());
        }
        Qwen2Model view = m.withLora(ad);
        if (how == Adapters.ON_THE_FLY) {
          m = view;
        } else {
          Qwen2Model merged = view.merged();
          sync(device(s));
          cpu0 = processCpuNanos();
          long t0 = System.nanoTime();
          view.mergeInto(merged);
          sync(device(s));
          timings[0] = (System.nanoTime() - t0) / 1e9;
          m = merged;
        }
      }
      if (how != Adapters.MERGED) cpu0 = processCpuNanos();
      Random rnd = new Random(3);
      List<int[]> ps = new ArrayList<>();
      for (int p = 0; p < prompts; p++) {
        int[] ids = new int[s.promptLength()];
        for (int i = 0; i < ids.length; i++)
          ids[i] = rnd.nextInt(Math.min(256, s.config().vocabSize()));
        ps.add(ids);
      }
      // No stop tokens: every row decodes exactly newTokens tokens.
      SamplingParams sp = new SamplingParams(1.0, 0, 1.0, false, s.newTokens(), Set.of(), 7);
      Rollout r = new Sampler(m, s.config().vocabSize(), s.decode()).generate(ps, group, sp);
      timings[1] = (processCpuNanos() - cpu0) / 1e9;
      return r;
    }
  }

  /**
   * The attention's matrix products of one decode step alone, as {@code Qwen2Model.attention}
   * issues them on the CPU: per layer q·kᵀ and weights·v for [rows, kvHeads, groups, headDim]
   * queries against a KV cache view of the decode's mean length (prompt + half the new tokens).
   */
  private static double decodeAttentionSeconds(Settings s, int rows) {
    Qwen2Config c = s.config();
    int kvHeads = c.numKeyValueHeads();
    long keys = s.promptLength() + s.newTokens() / 2;
    try (PointerScope scope = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      var options = Tensors.options(s.dtype(), device(s));
      Tensor cacheK =
          torch.randn(
              new long[] {rows, kvHeads, s.promptLength() + s.newTokens(), c.headDim()}, options);
      Tensor cacheV =
          torch.randn(
              new long[] {rows, kvHeads, s.promptLength() + s.newTokens(), c.headDim()}, options);
      Tensor k = cacheK.narrow(2, 0, keys);
      Tensor v = cacheV.narrow(2, 0, keys);
      Tensor q = torch.randn(new long[] {rows, kvHeads, c.groups(), c.headDim()}, options);
      Tensor w = torch.randn(new long[] {rows, kvHeads, c.groups(), keys}, options);
      return timed(
          s,
          Math.max(3, s.warmup()),
          Math.max(20, s.repeats()),
          () -> {
            for (int l = 0; l < c.numHiddenLayers(); l++) {
              torch.matmul(q, k.transpose(2, 3));
              torch.matmul(w, v);
            }
          });
    }
  }

  /**
   * The projections of one decode step alone: every linear layer and the lm_head on [rows, 1,
   * hidden].
   */
  private static double decodeProjectionSeconds(Settings s, int rows) {
    Qwen2Config c = s.config();
    try (PointerScope scope = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      Qwen2Model m = Qwen2Model.initialize(c, 0, s.dtype(), device(s));
      var p = m.parameters();
      Tensor h = torch.randn(rows, 1, c.hiddenSize()).to(device(s), s.dtype().scalarType);
      Tensor a =
          torch
              .randn(rows, 1, (long) c.numAttentionHeads() * c.headDim())
              .to(device(s), s.dtype().scalarType);
      Tensor g = torch.randn(rows, 1, c.intermediateSize()).to(device(s), s.dtype().scalarType);
      Tensor head =
          c.tieWordEmbeddings() ? p.get("model.embed_tokens.weight") : p.get("lm_head.weight");
      // the products the model's decode step runs: q/k/v and gate/up fused (Projection.Group)
      Tensor[] qkv = new Tensor[c.numHiddenLayers()];
      Tensor[] gateUp = new Tensor[c.numHiddenLayers()];
      for (int l = 0; l < c.numHiddenLayers(); l++) {
        String pre = "model.layers." + l + ".";
        qkv[l] =
            torch.cat(
                new org.bytedeco.pytorch.TensorVector(
                    p.get(pre + "self_attn.q_proj.weight"),
                    p.get(pre + "self_attn.k_proj.weight"),
                    p.get(pre + "self_attn.v_proj.weight")),
                0);
        gateUp[l] =
            torch.cat(
                new org.bytedeco.pytorch.TensorVector(
                    p.get(pre + "mlp.gate_proj.weight"), p.get(pre + "mlp.up_proj.weight")),
                0);
      }
      return timed(
          s,
          Math.max(3, s.warmup()),
          Math.max(20, s.repeats()),
          () -> {
            for (int l = 0; l < c.numHiddenLayers(); l++) {
              String pre = "model.layers." + l + ".";
              torch.linear(h, qkv[l]);
              torch.linear(a, p.get(pre + "self_attn.o_proj.weight"));
              torch.linear(h, gateUp[l]);
              torch.linear(g, p.get(pre + "mlp.down_proj.weight"));
            }
            torch.linear(h, head);
          });
    }
  }

  static Tensor randomIds(Qwen2Config c, int rows, int cols, long seed, Device device) {
    Random rnd = new Random(seed);
    long[] ids = new long[rows * cols];
    for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(c.vocabSize());
    return Tensors.longs(ids).reshape(rows, cols).to(device, torch.ScalarType.Long);
  }

  /**
   * CPU time of the whole process: divided by wall time and threads it says how much of the machine
   * the benchmark actually got (well below 1 means other processes competed for the cores and the
   * wall-clock numbers understate the code's speed).
   */
  private static long processCpuNanos() {
    var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean sun
        ? sun.getProcessCpuTime()
        : -1;
  }

  private static Device device(Settings s) {
    return Torch.device(s.device());
  }

  /** The median of {@code repeats} {@link #seconds} of {@code body}, after {@code warmup} runs. */
  private static double timed(Settings s, int warmup, int repeats, Runnable body) {
    return median(warmup, repeats, () -> seconds(device(s), body));
  }

  /** Seconds {@code body} takes, run in a scope of its own and waited for on {@code device}. */
  private static double seconds(Device device, Runnable body) {
    long t0 = System.nanoTime();
    try (PointerScope inner = new PointerScope()) {
      body.run();
      sync(device);
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  private static void sync(Device device) {
    if (device.is_cuda()) torch.cuda_synchronize(device.index());
  }

  interface Timed {
    double seconds();
  }

  static double median(int warmup, int repeats, Timed body) {
    for (int i = 0; i < warmup; i++) body.seconds();
    double[] t = new double[repeats];
    for (int i = 0; i < repeats; i++) t[i] = body.seconds();
    return median(t);
  }

  static double median(double[] xs) {
    double[] t = xs.clone();
    Arrays.sort(t);
    return t.length % 2 == 1 ? t[t.length / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
  }

  /**
   * One optimizer step on next-token cross-entropy, through the same passes as the trainers ({@link
   * WorkingWeights}, {@link TrainingPass}: chunked head, optional gradient checkpointing).
   */
  private static final class TrainStep {
    private final WorkingWeights weights;
    private final List<Tensor> params;
    private final AdamW optimizer;
    private final TrainOptions options;

    TrainStep(Qwen2Model master, DType dtype, TrainOptions options) {
      master.setRequiresGrad(true);
      this.weights = WorkingWeights.of(master, dtype);
      this.params = new ArrayList<>(master.parameters().values());
      this.optimizer = Optimizers.adamW(params, 1e-4, 0.9, 0.99, 0.0);
      this.options = options;
    }

    /**
     * Forward + backward over the rows in micro-batches of {@code microBatch} rows (0: all at
     * once), gradients accumulated so they equal the whole batch's, then one optimizer step.
     */
    void run(Tensor ids, Tensor valid, int microBatch) {
      long rows = ids.size(0);
      long t = ids.size(1);
      long step = microBatch <= 0 ? rows : microBatch;
      double tokens = (double) rows * (t - 1);
      optimizer.zero_grad();
      for (long from = 0; from < rows; from += step) {
        long n = Math.min(step, rows - from);
        try (PointerScope scope = new PointerScope()) {
          forwardBackward(ids.narrow(0, from, n), valid.narrow(0, from, n), tokens);
        }
      }
      weights.gradientsToMaster();
      Optimizers.clipGradNorm(params, 1.0);
      optimizer.step();
      weights.refresh();
    }

    /** Back-propagates L = −Σ log p(next token) / {@code tokens} of these rows. */
    private void forwardBackward(Tensor ids, Tensor valid, double tokens) {
      long t = ids.size(1);
      Tensor ones =
          torch.ones(new long[] {ids.size(0), t - 1}).to(ids.device(), torch.ScalarType.Float);
      TrainingPass pass =
          TrainingPass.nextToken(
              weights.compute(), ids, valid, ids.narrow(1, 1, t - 1), ones, options);
      pass.backward(pass.logProbs().sum().mul(new Scalar(-1.0 / tokens)));
    }
  }
}
