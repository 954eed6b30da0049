package io.grpo4j.generate;

import io.grpo4j.model.AttentionMask;
import io.grpo4j.model.KvCache;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.model.StaticKvCache;
import io.grpo4j.torch.CudaGraph;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Batched autoregressive sampling with a KV cache.
 *
 * <p>Prompts of different lengths are left-padded into one batch and prefilled once; the cache and
 * the last logits are then copied {@code n} times so the n samples of a prompt share its prefill.
 * Each decode step feeds one token per row. Rows that finished keep being fed (their outputs are
 * discarded) so the batch keeps its shape; generation stops when every row has finished.
 */
public final class Sampler {
  /**
   * How decode steps run; all three give the same samples (same tokens, log-probs and entropies up
   * to float rounding: {@code SamplerTest}).
   */
  public enum Decode {
    /**
     * A {@link KvCache} whose attention spans the positions filled so far; each step reads the
     * picked tokens on the host (the default: on a CPU nothing is faster)
     */
    DYNAMIC,
    /**
     * A {@link StaticKvCache}: every step has the same shapes, positions advance on the device, and
     * the picked tokens, log-probs and entropies stay in device buffers; the host looks only every
     * {@link #SYNC_EVERY} steps whether every row has stopped (on a GPU: no host-device
     * synchronisation per token)
     */
    STATIC,
    /**
     * STATIC with the model's forward step recorded once as a CUDA graph and replayed ({@link
     * CudaGraph}): CUDA only, off by default; 5.04 ms per decode step against STATIC's 16.46 ms on
     * an H200 (docs/gpu.md)
     */
    CUDA_GRAPH;

    /** Parses {@code dynamic}, {@code static} or {@code cuda_graph} (also {@code cuda-graph}). */
    public static Decode parse(String name) {
      return switch (name.trim().toLowerCase(java.util.Locale.ROOT).replace('-', '_')) {
        case "dynamic" -> DYNAMIC;
        case "static" -> STATIC;
        case "cuda_graph" -> CUDA_GRAPH;
        default ->
            throw new IllegalArgumentException(
                "unknown decode '" + name + "': expected dynamic, static or cuda_graph");
      };
    }
  }

  /** Steps between the host's looks at the device-side stop flags ({@link Decode#STATIC}). */
  public static final int SYNC_EVERY = 8;

  private final Qwen2Model model;
  private final Vocabulary vocabulary;
  private final Decode decode;

  /**
   * @param samplableVocab ids at or above it are never sampled: embedding rows past the tokenizer's
   *     vocabulary are untrained padding (Qwen2.5: 151,936 rows, 151,665 ids)
   */
  public Sampler(Qwen2Model model, int samplableVocab) {
    this(model, samplableVocab, Decode.DYNAMIC);
  }

  public Sampler(Qwen2Model model, int samplableVocab, Decode decode) {
    this.model = model;
    this.vocabulary = new Vocabulary(model.config().vocabSize(), samplableVocab);
    this.decode = decode;
    if (decode == Decode.CUDA_GRAPH) {
      String why = CudaGraph.unsupportedReason(model.device());
      if (why != null) throw new IllegalArgumentException("decode cuda_graph: " + why);
    }
  }

  /** Generates {@code n} completions for every prompt. */
  public Rollout generate(List<int[]> prompts, int n, SamplingParams params) {
    if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts");
    if (n <= 0) throw new IllegalArgumentException("n must be > 0, got " + n);
    int promptCount = prompts.size();
    int promptLen = 0;
    long promptTokens = 0;
    for (int[] p : prompts) {
      if (p.length == 0)
        throw new IllegalArgumentException("empty prompt: give at least one token");
      vocabulary.checkPrompt(p);
      promptLen = Math.max(promptLen, p.length);
      promptTokens += p.length;
    }
    int capacity = promptLen + params.maxNewTokens();
    if (capacity > model.config().maxPositionEmbeddings()) {
      throw new IllegalArgumentException(
          "prompt ("
              + promptLen
              + ") + max_new_tokens ("
              + params.maxNewTokens()
              + ") exceeds the model's max_position_embeddings "
              + model.config().maxPositionEmbeddings());
    }
    int rows = promptCount * n;
    Device device = model.device();

    List<List<Integer>> ids = new ArrayList<>();
    List<List<Float>> logps = new ArrayList<>();
    List<List<Float>> ents = new ArrayList<>();
    Sample.FinishReason[] finish = new Sample.FinishReason[rows];
    for (int r = 0; r < rows; r++) {
      ids.add(new ArrayList<>());
      logps.add(new ArrayList<>());
      ents.add(new ArrayList<>());
    }
    long t0 = System.nanoTime();
    long tPrefill;
    try (PointerScope outer = new PointerScope();
        NoGradGuard noGrad = new NoGradGuard()) {
      Generator gen = device.is_cpu() ? torch.createCPUGenerator(params.seed()) : null;
      if (gen == null) torch.manual_seed(params.seed());

      long[][] padded = new long[promptCount][promptLen];
      long[] validFlat = new long[rows * capacity];
      long[] nextPos = new long[rows];
      for (int p = 0; p < promptCount; p++) {
        int[] prompt = prompts.get(p);
        int pad = promptLen - prompt.length;
        for (int i = 0; i < prompt.length; i++) padded[p][pad + i] = prompt[i];
        for (int s = 0; s < n; s++) {
          int r = p * n + s;
          for (int i = pad; i < promptLen; i++) validFlat[r * capacity + i] = 1;
          nextPos[r] = prompt.length;
        }
      }
      // valid[r, j]: key position j of row r holds a real token; filled as decoding proceeds.
      Tensor valid =
          Tensors.longs(validFlat).reshape(rows, capacity).to(device, torch.ScalarType.Bool);
      Tensor lastLogits;
      KvCache cache;
      {
        Tensor promptIds = Tensors.longs(padded).to(device, torch.ScalarType.Long);
        Tensor promptValid =
            valid.narrow(1, 0, promptLen).index_select(0, groupStarts(promptCount, n, device));
        KvCache promptCache =
            KvCache.allocate(
                model.config(), promptCount, capacity, Tensors.options(model.dtype(), device));
        Tensor h = model.hiddenPadded(promptIds, promptValid, promptCache);
        Tensor last =
            model.logits(h.narrow(1, promptLen - 1, 1)).squeeze(1).to(torch.ScalarType.Float);
        Tensor expand =
            torch.repeat_interleave(
                torch.arange(new Scalar(promptCount), Tensors.options(DType.I64, device)), n);
        cache = promptCache.selectRows(expand);
        lastLogits = last.index_select(0, expand).contiguous();
      }
      tPrefill = System.nanoTime();
      if (decode != Decode.DYNAMIC) {
        decodeOnDevice(
            StaticKvCache.from(cache),
            lastLogits,
            valid,
            nextPos,
            params,
            gen,
            ids,
            logps,
            ents,
            finish);
      }
      boolean[] done = new boolean[rows];
      int live = decode == Decode.DYNAMIC ? rows : 0; // the device loop above did the decoding
      for (int step = 0; step < params.maxNewTokens() && live > 0; step++) {
        try (PointerScope stepScope = new PointerScope()) {
          Tensor[] picked = pick(lastLogits, params, gen);
          long[] tok = Tensors.toLongs(picked[0]);
          float[] lp = Tensors.toFloats(picked[1]);
          float[] en = Tensors.toFloats(picked[2]);
          for (int r = 0; r < rows; r++) {
            if (done[r]) continue;
            ids.get(r).add((int) tok[r]);
            logps.get(r).add(lp[r]);
            ents.get(r).add(en[r]);
            if (params.stopTokenIds().contains((int) tok[r])) {
              done[r] = true;
              finish[r] = Sample.FinishReason.STOP;
              live--;
            } else if (ids.get(r).size() == params.maxNewTokens()) {
              done[r] = true;
              finish[r] = Sample.FinishReason.LENGTH;
              live--;
            }
          }
          if (live == 0) break;
          int at = promptLen + step;
          valid.narrow(1, at, 1).fill_(new Scalar(1));
          Tensor keyValid = valid.narrow(1, 0, at + 1);
          Tensor pos = Tensors.longs(nextPos).reshape(rows, 1).to(device, torch.ScalarType.Long);
          for (int r = 0; r < rows; r++) nextPos[r]++;
          Tensor input = picked[0].reshape(rows, 1);
          Tensor h = model.hidden(input, pos, AttentionMask.of(keyValid, 1), cache);
          lastLogits.copy_(model.logits(h).squeeze(1));
        }
      }
    }
    long t1 = System.nanoTime();
    List<Sample> samples = new ArrayList<>(rows);
    for (int r = 0; r < rows; r++) {
      int p = r / n;
      samples.add(
          new Sample(
              p,
              prompts.get(p).clone(),
              toInts(ids.get(r)),
              toFloats(logps.get(r)),
              toFloats(ents.get(r)),
              finish[r]));
    }
    return new Rollout(samples, promptTokens, (tPrefill - t0) / 1e9, (t1 - tPrefill) / 1e9);
  }

  /**
   * The decode loop of {@link Decode#STATIC} and {@link Decode#CUDA_GRAPH}: the same picks as the
   * dynamic loop, kept on the device and read once at the end; rows are cut at their first stop
   * token as there.
   */
  private void decodeOnDevice(
      StaticKvCache cache,
      Tensor lastLogits,
      Tensor valid,
      long[] nextPos,
      SamplingParams params,
      Generator gen,
      List<List<Integer>> ids,
      List<List<Float>> logps,
      List<List<Float>> ents,
      Sample.FinishReason[] finish) {
    Device device = model.device();
    int rows = nextPos.length;
    int max = params.maxNewTokens();
    Tensor input = torch.zeros(new long[] {rows, 1}, Tensors.options(DType.I64, device));
    Tensor pos = Tensors.longs(nextPos).reshape(rows, 1).to(device, torch.ScalarType.Long);
    Tensor tokens = torch.zeros(new long[] {rows, max}, Tensors.options(DType.I64, device));
    Tensor logp = torch.zeros(new long[] {rows, max}, Tensors.options(DType.F32, device));
    Tensor entropy = torch.zeros(new long[] {rows, max}, Tensors.options(DType.F32, device));
    Tensor stopped = torch.zeros(new long[] {rows}, Tensors.options(DType.I64, device));
    long[] stopIds = params.stopTokenIds().stream().mapToLong(Integer::longValue).toArray();
    Tensor stops =
        stopIds.length == 0 ? null : Tensors.longs(stopIds).to(device, torch.ScalarType.Long);
    Runnable forward =
        () -> {
          try (PointerScope scope = new PointerScope()) {
            cache.markWritten(valid);
            Tensor h = model.hidden(input, pos, StaticKvCache.mask(valid), cache);
            lastLogits.copy_(model.logits(h).squeeze(1));
            pos.add_(new Scalar(1));
          }
        };
    CudaGraph graph = null;
    int steps = 0;
    try {
      for (int step = 0; step < max; step++) {
        try (PointerScope stepScope = new PointerScope()) {
          Tensor[] picked = pick(lastLogits, params, gen);
          Tensor tok = picked[0].to(device, torch.ScalarType.Long);
          tokens.select(1, step).copy_(tok);
          logp.select(1, step).copy_(picked[1]);
          entropy.select(1, step).copy_(picked[2]);
          steps = step + 1;
          if (stops != null) stopped.add_(torch.isin(tok, stops).to(torch.ScalarType.Long));
          if (steps == max) break;
          // the only host read: every SYNC_EVERY steps, has every row stopped?
          if (stops != null
              && steps % SYNC_EVERY == 0
              && stopped.gt(new Scalar(0)).all().item_bool()) break;
          input.copy_(tok.reshape(rows, 1));
          if (decode == Decode.CUDA_GRAPH) {
            // capture runs the step once for real (warm-up), then records it for the next ones
            if (graph == null) graph = CudaGraph.capture(device, forward);
            else graph.replay();
          } else {
            forward.run();
          }
        }
      }
    } finally {
      if (graph != null) graph.close();
    }
    long[] tok = Tensors.toLongs(tokens.narrow(1, 0, steps).contiguous());
    float[] lp = Tensors.toFloats(logp.narrow(1, 0, steps).contiguous());
    float[] en = Tensors.toFloats(entropy.narrow(1, 0, steps).contiguous());
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < steps; i++) {
        int t = (int) tok[r * steps + i];
        ids.get(r).add(t);
        logps.get(r).add(lp[r * steps + i]);
        ents.get(r).add(en[r * steps + i]);
        if (params.stopTokenIds().contains(t)) {
          finish[r] = Sample.FinishReason.STOP;
          break;
        }
      }
      if (finish[r] == null) finish[r] = Sample.FinishReason.LENGTH;
    }
  }

  private static Tensor groupStarts(int promptCount, int n, Device device) {
    return torch.arange(
        new Scalar(0),
        new Scalar((long) promptCount * n),
        new Scalar(n),
        Tensors.options(DType.I64, device));
  }

  /**
   * Chooses one token per row from logits [rows, V]; returns {token ids, log-prob of each under the
   * sampling distribution, entropy of that distribution}.
   */
  private Tensor[] pick(Tensor logits, SamplingParams p, Generator gen) {
    Tensor z = vocabulary.mask(logits);
    Tensor token;
    if (p.greedy()) {
      token = CategoricalSampler.argmax(z);
    } else {
      z = LogitsWarper.warp(z, p, vocabulary.samplable());
      token = CategoricalSampler.draw(z, gen);
    }
    Tensor logp = torch.log_softmax(z, -1);
    Tensor probs = logp.exp();
    // 0·log 0 = 0 for tokens removed by top-k/top-p or the vocabulary limit.
    Tensor entropy =
        probs
            .mul(logp.masked_fill(torch.isinf(logp), new Scalar(0.0)))
            .sum(new long[] {-1}, false, new org.bytedeco.pytorch.ScalarTypeOptional())
            .neg();
    Tensor chosen = torch.gather(logp, 1, token.unsqueeze(1)).squeeze(1);
    return new Tensor[] {token, chosen, entropy};
  }

  private static int[] toInts(List<Integer> xs) {
    int[] a = new int[xs.size()];
    for (int i = 0; i < a.length; i++) a[i] = xs.get(i);
    return a;
  }

  private static float[] toFloats(List<Float> xs) {
    float[] a = new float[xs.size()];
    for (int i = 0; i < a.length; i++) a[i] = xs.get(i);
    return a;
  }
}
