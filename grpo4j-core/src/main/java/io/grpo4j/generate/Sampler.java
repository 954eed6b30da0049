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
    int promptLen = checkPrompts(prompts, params);
    if (n <= 0) throw new IllegalArgumentException("n must be > 0, got " + n);
    int promptCount = prompts.size();
    long promptTokens = 0;
    for (int[] p : prompts) promptTokens += p.length;
    int capacity = promptLen + params.maxNewTokens();
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
   * Prefix-tree rollouts: for every prompt G = w_1·…·w_d completions that share prefixes by
   * construction ({@link TreeShape}). The prompts are prefilled once; each prompt's row forks into
   * w_1 rows, and a row at depth k &lt; d forks into w_{k+1} children at its next branch point: the
   * children's KV cache rows are gathered from the parent's ({@link KvCache#regroup}), so a shared
   * prefix is decoded once, and only the rows still generating take part in a decode step. A row
   * that stops (stop token or length limit) before the tree reached depth d is a leaf for its whole
   * subtree: it is copied into each of its n_k leaf slots (so every group keeps G rows, and the
   * copies weigh it as the tree's sampling does), decoded once.
   *
   * <p>The samples come in group order, and within a group in lexicographic order of the branch
   * choices (c_1, …, c_d): the leaves under a node are consecutive rows. {@link
   * Rollout#segmentStarts} gives each sample's branch points; {@link Rollout#generatedTokens}
   * counts each decoded token once. Always decodes with the dynamic cache (the static and CUDA
   * graph loops keep a fixed batch; a tree's batch changes as it forks).
   */
  public Rollout generateTree(List<int[]> prompts, TreeShape tree, SamplingParams params) {
    int promptLen = checkPrompts(prompts, params);
    int promptCount = prompts.size();
    long promptTokens = 0;
    for (int[] p : prompts) promptTokens += p.length;
    int g = tree.leaves();
    int d = tree.depth();
    int maxRows = promptCount * g;
    int capacity = promptLen + params.maxNewTokens();
    Device device = model.device();
    Sample[] leaves = new Sample[maxRows];
    int[][] starts = new int[maxRows][];
    long generated = 0;
    long t0 = System.nanoTime();
    long tPrefill;
    try (PointerScope outer = new PointerScope();
        NoGradGuard noGrad = new NoGradGuard()) {
      Generator gen = device.is_cpu() ? torch.createCPUGenerator(params.seed()) : null;
      if (gen == null) torch.manual_seed(params.seed());
      long[][] padded = new long[promptCount][promptLen];
      long[] validFlat = new long[maxRows * capacity];
      for (int p = 0; p < promptCount; p++) {
        int[] prompt = prompts.get(p);
        int pad = promptLen - prompt.length;
        for (int i = 0; i < prompt.length; i++) padded[p][pad + i] = prompt[i];
        for (int i = pad; i < promptLen; i++) validFlat[p * capacity + i] = 1;
      }
      // valid[r, j]: key position j of row r holds a real token; rows regrouped with the cache
      Tensor valid =
          Tensors.longs(validFlat).reshape(maxRows, capacity).to(device, torch.ScalarType.Bool);
      KvCache cache =
          KvCache.allocate(
              model.config(), maxRows, capacity, Tensors.options(model.dtype(), device));
      cache.regroup(torch.arange(new Scalar(promptCount), Tensors.options(DType.I64, device)));
      Tensor lastLogits;
      {
        Tensor promptIds = Tensors.longs(padded).to(device, torch.ScalarType.Long);
        Tensor h =
            model.hiddenPadded(
                promptIds, valid.narrow(0, 0, promptCount).narrow(1, 0, promptLen), cache);
        Tensor last =
            model.logits(h.narrow(1, promptLen - 1, 1)).squeeze(1).to(torch.ScalarType.Float);
        lastLogits =
            torch.zeros(new long[] {maxRows, last.size(1)}, Tensors.options(DType.F32, device));
        lastLogits.narrow(0, 0, promptCount).copy_(last);
      }
      tPrefill = System.nanoTime();
      // the live rows, in batch order; the root forks every prompt into w_1 rows
      List<TreeRow> rows = new ArrayList<>();
      List<TreeRow> roots = new ArrayList<>();
      for (int p = 0; p < promptCount; p++) {
        roots.add(new TreeRow(p, p * g, g, 0, prompts.get(p).length));
      }
      long[] forkIndex = forks(roots, tree, rows);
      regroup(forkIndex, promptCount, cache, valid, lastLogits, device);
      Tensor input = null;
      for (int step = 0; step < params.maxNewTokens() && !rows.isEmpty(); step++) {
        try (PointerScope stepScope = new PointerScope()) {
          if (tree.branchAt() == TreeShape.BranchAt.ENTROPY && step > 0) {
            // fork before picking: each child samples the uncertain position itself
            float[] h = Tensors.toFloats(entropyOf(lastLogits.narrow(0, 0, rows.size()), params));
            for (int r = 0; r < rows.size(); r++) {
              TreeRow row = rows.get(r);
              row.fork =
                  row.depth < d
                      && row.ids.size() > row.segmentStart
                      && h[r] >= tree.entropyThreshold();
            }
            List<TreeRow> next = new ArrayList<>();
            long[] index = forks(rows, tree, next);
            if (next.size() != rows.size()) {
              regroup(index, rows.size(), cache, valid, lastLogits, device);
              rows = next;
            }
          }
          int n = rows.size();
          Tensor[] picked = pick(lastLogits.narrow(0, 0, n), params, gen);
          long[] tok = Tensors.toLongs(picked[0]);
          float[] lp = Tensors.toFloats(picked[1]);
          float[] en = Tensors.toFloats(picked[2]);
          generated += n;
          List<TreeRow> next = new ArrayList<>();
          List<Long> index = new ArrayList<>();
          for (int r = 0; r < n; r++) {
            TreeRow row = rows.get(r);
            int t = (int) tok[r];
            row.ids.add(t);
            row.logps.add(lp[r]);
            row.ents.add(en[r]);
            Sample.FinishReason finish =
                params.stopTokenIds().contains(t)
                    ? Sample.FinishReason.STOP
                    : row.ids.size() == params.maxNewTokens() ? Sample.FinishReason.LENGTH : null;
            if (finish != null) {
              row.finish(prompts.get(row.prompt), finish, d, leaves, starts);
              continue;
            }
            row.fork =
                tree.branchAt() == TreeShape.BranchAt.LINE_END
                    && row.depth < d
                    && tree.boundaryTokens().contains(t);
            int copies = row.fork ? tree.width(row.depth + 1) : 1;
            for (TreeRow child : row.children(tree)) next.add(child);
            for (int c = 0; c < copies; c++) index.add((long) r);
          }
          if (next.isEmpty()) break;
          boolean same = next.size() == n;
          for (int r = 0; same && r < n; r++) same = index.get(r) == r;
          if (!same) {
            long[] idx = index.stream().mapToLong(Long::longValue).toArray();
            regroup(idx, n, cache, valid, lastLogits, device);
            Tensor inputAll =
                Tensors.longs(selectLongs(tok, idx)).to(device, torch.ScalarType.Long);
            input = inputAll.reshape(next.size(), 1);
          } else {
            input = picked[0].reshape(n, 1);
          }
          rows = next;
          int m = rows.size();
          int at = promptLen + step;
          Tensor v = valid.narrow(0, 0, m);
          v.narrow(1, at, 1).fill_(new Scalar(1));
          long[] pos = new long[m];
          for (int r = 0; r < m; r++) pos[r] = rows.get(r).nextPos++;
          Tensor h =
              model.hidden(
                  input,
                  Tensors.longs(pos).reshape(m, 1).to(device, torch.ScalarType.Long),
                  AttentionMask.of(v.narrow(1, 0, at + 1), 1),
                  cache);
          lastLogits.narrow(0, 0, m).copy_(model.logits(h).squeeze(1));
        }
      }
    }
    long t1 = System.nanoTime();
    List<Sample> samples = new ArrayList<>(maxRows);
    List<int[]> segmentStarts = new ArrayList<>(maxRows);
    for (int i = 0; i < maxRows; i++) {
      if (leaves[i] == null) throw new IllegalStateException("tree leaf " + i + " was not filled");
      samples.add(leaves[i]);
      segmentStarts.add(starts[i]);
    }
    return new Rollout(
        samples,
        promptTokens,
        (tPrefill - t0) / 1e9,
        (t1 - tPrefill) / 1e9,
        generated,
        segmentStarts);
  }

  /** A live row of a tree: one node's path so far. */
  private static final class TreeRow {
    final int prompt;
    final int firstLeaf; // the leaf slots [firstLeaf, firstLeaf + span) of this node's subtree
    final int span;
    final int depth; // 0 before the root's fork; the node's depth k after it
    final List<Integer> ids;
    final List<Float> logps;
    final List<Float> ents;
    final List<Integer> starts; // the offsets at which the path entered depths 2 … k
    int nextPos;
    int segmentStart;
    boolean fork;

    TreeRow(int prompt, int firstLeaf, int span, int depth, int nextPos) {
      this(
          prompt,
          firstLeaf,
          span,
          depth,
          nextPos,
          new ArrayList<>(),
          new ArrayList<>(),
          new ArrayList<>(),
          new ArrayList<>());
    }

    private TreeRow(
        int prompt,
        int firstLeaf,
        int span,
        int depth,
        int nextPos,
        List<Integer> ids,
        List<Float> logps,
        List<Float> ents,
        List<Integer> starts) {
      this.prompt = prompt;
      this.firstLeaf = firstLeaf;
      this.span = span;
      this.depth = depth;
      this.nextPos = nextPos;
      this.ids = ids;
      this.logps = logps;
      this.ents = ents;
      this.starts = starts;
      this.segmentStart = ids.size();
    }

    /** This row unchanged, or its w_{k+1} children when it forks here. */
    List<TreeRow> children(TreeShape tree) {
      if (!fork) return List.of(this);
      int w = tree.width(depth + 1);
      int childSpan = span / w;
      List<Integer> childStarts = new ArrayList<>(starts);
      if (depth > 0) childStarts.add(ids.size()); // the root's fork is at offset 0: not a cut
      List<TreeRow> out = new ArrayList<>(w);
      for (int c = 0; c < w; c++) {
        out.add(
            new TreeRow(
                prompt,
                firstLeaf + c * childSpan,
                childSpan,
                depth + 1,
                nextPos,
                new ArrayList<>(ids),
                new ArrayList<>(logps),
                new ArrayList<>(ents),
                new ArrayList<>(childStarts)));
      }
      return out;
    }

    /** Writes this finished path into every leaf slot of its subtree. */
    void finish(int[] promptIds, Sample.FinishReason reason, int d, Sample[] leaves, int[][] cut) {
      int[] s = new int[d - 1];
      for (int k = 0; k < s.length; k++) s[k] = k < starts.size() ? starts.get(k) : ids.size();
      Sample sample =
          new Sample(
              prompt, promptIds.clone(), toInts(ids), toFloats(logps), toFloats(ents), reason);
      for (int i = firstLeaf; i < firstLeaf + span; i++) {
        leaves[i] = sample;
        cut[i] = s.clone();
      }
    }
  }

  /**
   * Fills {@code next} with the rows after the forks marked in {@code rows} (the root rows of depth
   * 0 always fork) and returns, for each new row, the index of the row it continues.
   */
  private static long[] forks(List<TreeRow> rows, TreeShape tree, List<TreeRow> next) {
    List<Long> index = new ArrayList<>();
    for (int r = 0; r < rows.size(); r++) {
      TreeRow row = rows.get(r);
      if (row.depth == 0) row.fork = true;
      for (TreeRow child : row.children(tree)) {
        next.add(child);
        index.add((long) r);
      }
      row.fork = false;
    }
    return index.stream().mapToLong(Long::longValue).toArray();
  }

  /** Rearranges the rows of the cache, key validity and last logits: row i ← row index[i]. */
  private static void regroup(
      long[] index, int rows, KvCache cache, Tensor valid, Tensor lastLogits, Device device) {
    try (PointerScope scope = new PointerScope()) {
      Tensor idx = Tensors.longs(index).to(device, torch.ScalarType.Long);
      cache.regroup(idx);
      KvCache.regroupRows(valid, rows, idx);
      KvCache.regroupRows(lastLogits, rows, idx);
    }
  }

  private static long[] selectLongs(long[] values, long[] index) {
    long[] out = new long[index.length];
    for (int i = 0; i < index.length; i++) out[i] = values[(int) index[i]];
    return out;
  }

  /** The entropy of each row's sampling distribution, [rows]. */
  private Tensor entropyOf(Tensor logits, SamplingParams p) {
    Tensor z = vocabulary.mask(logits);
    if (!p.greedy()) z = LogitsWarper.warp(z, p, vocabulary.samplable());
    Tensor logp = torch.log_softmax(z, -1);
    return logp.exp()
        .mul(logp.masked_fill(torch.isinf(logp), new Scalar(0.0)))
        .sum(new long[] {-1}, false, new org.bytedeco.pytorch.ScalarTypeOptional())
        .neg();
  }

  /** Checks the prompts and the length budget; returns the longest prompt's length. */
  private int checkPrompts(List<int[]> prompts, SamplingParams params) {
    if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts");
    int promptLen = 0;
    for (int[] p : prompts) {
      if (p.length == 0)
        throw new IllegalArgumentException("empty prompt: give at least one token");
      vocabulary.checkPrompt(p);
      promptLen = Math.max(promptLen, p.length);
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
    return promptLen;
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
