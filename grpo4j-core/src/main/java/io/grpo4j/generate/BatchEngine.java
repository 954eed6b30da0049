package io.grpo4j.generate;

import io.grpo4j.model.KvCache;
import io.grpo4j.model.LoraAdapters;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.model.SlotKvCache;
import io.grpo4j.torch.CudaGraph;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Tensors;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Continuous batching: many requests share every decode step.
 *
 * <p>One engine thread owns the model. Between two decode steps it admits waiting requests into
 * free slots of a {@link SlotKvCache} (prefilling the new prompts together in one forward pass,
 * each copied to its n slots, and sampling their first tokens at once, so time to first token does
 * not wait for a batch to drain), then runs one decode step over every occupied slot and retires
 * the completions that ended (stop token, length limit, the listener said stop, or the request was
 * cancelled), freeing their slots for the next admissions. A request never waits for an unrelated
 * longer one to finish.
 *
 * <p>Each row samples with its own generator, seeded per completion, so a request's tokens do not
 * depend on what else shares its batch (greedy rows take the arg-max). Requests wait in a bounded
 * queue; {@link #submit} throws {@link QueueFullException} when it is full.
 *
 * <p>The engine may hold named LoRA adapters on its one base ({@link GenerationRequest#adapter}
 * picks one per request): rows of different adapters share every step, each projection running the
 * base once for all rows and each adapter's low-rank term on its own rows ({@link
 * Qwen2Model#routed}), so no adapter costs a copy of the model.
 *
 * <p>How decode steps run ({@link Sampler.Decode}):
 *
 * <ul>
 *   <li>{@code DYNAMIC}: over exactly the occupied slots, attention over the longest length + 1
 *       columns ({@link SlotKvCache#decodeMask}); shapes change every step.
 *   <li>{@code STATIC}: shapes from a bucket, as vLLM pads its decode batches: rows = the next of
 *       1, 2, 4, …, max batch at or above the occupied slots, columns = the next of 64, 128, …, max
 *       model length above the longest length ({@link SlotKvCache#fixedStep}); the extra rows are
 *       padding whose outputs are thrown away, and every value the step reads is in a device
 *       tensor. The same tokens as {@code DYNAMIC} ({@code BatchEngineTest}).
 *   <li>{@code CUDA_GRAPH}: {@code STATIC} with each bucket's forward pass captured once as a CUDA
 *       graph ({@link CudaGraph}, all graphs in one memory pool) and replayed; CUDA only. If a
 *       capture fails the engine says so on stderr and goes on with {@code STATIC}.
 * </ul>
 */
public final class BatchEngine implements AutoCloseable {
  private final Qwen2Model model;
  private final Map<String, LoraAdapters> adapters;
  private final Vocabulary vocabulary;
  private final int maxModelLen;
  private final int queueBound;
  private final SlotKvCache cache;
  private final BlockingQueue<Job> waiting;
  private final List<Row> rows = new ArrayList<>(); // rows.get(s) occupies slot s
  private final Thread thread;
  private volatile boolean closed;
  private volatile int running;
  private final AtomicLong steps = new AtomicLong();
  private final AtomicLong generated = new AtomicLong();
  private final AtomicLong prefilled = new AtomicLong();
  private Sampler.Decode decode;

  /** STATIC / CUDA_GRAPH: the fed tokens [max batch, 1] and the logits [max batch, V] (float). */
  private final Tensor inputBuffer;

  private final Tensor logitsBuffer;

  /** CUDA_GRAPH: one graph per (rows, columns) bucket, captured on first use, one memory pool. */
  private final Map<Long, CudaGraph> graphs = new HashMap<>();

  private CudaGraph.Pool graphPool;

  /** Counters for monitoring; read from any thread. */
  public record Stats(
      int queued,
      int running,
      int slots,
      long decodeSteps,
      long generatedTokens,
      long prefillTokens) {}

  /**
   * A submitted request; cancel it when its client goes away (frees its slots at the next step).
   */
  public final class Ticket {
    private final Job job;

    private Ticket(Job job) {
      this.job = job;
    }

    public void cancel() {
      job.cancelled = true;
      waiting.remove(job);
    }
  }

  private static final class Job {
    final GenerationRequest request;
    final TokenListener listener;
    final LoraAdapters adapter; // null: the base model
    volatile boolean cancelled;
    boolean failed;

    Job(GenerationRequest request, TokenListener listener, LoraAdapters adapter) {
      this.request = request;
      this.listener = listener;
      this.adapter = adapter;
    }
  }

  /**
   * One completion in a slot; {@code pending} is its last sampled token, not yet fed to the model.
   */
  private static final class Row {
    final Job job;
    final int choice;
    final Generator generator;
    int pending;
    int produced;

    Row(Job job, int choice, Generator generator) {
      this.job = job;
      this.choice = choice;
      this.generator = generator;
    }
  }

  /**
   * @param samplableVocab ids at or above it are never produced (untrained padding rows)
   * @param maxBatch slots, i.e. completions decoded together at most
   * @param maxModelLen prompt + completion limit per sequence (the slots' KV capacity)
   * @param queueBound requests allowed to wait for a slot
   */
  public BatchEngine(
      Qwen2Model model, int samplableVocab, int maxBatch, int maxModelLen, int queueBound) {
    this(
        model, Map.of(), samplableVocab, maxBatch, maxModelLen, queueBound, Sampler.Decode.DYNAMIC);
  }

  /**
   * An engine over {@code model} and the LoRA {@code adapters} a request may name (each checked
   * against the model's shape now).
   */
  public BatchEngine(
      Qwen2Model model,
      Map<String, LoraAdapters> adapters,
      int samplableVocab,
      int maxBatch,
      int maxModelLen,
      int queueBound) {
    this(
        model, adapters, samplableVocab, maxBatch, maxModelLen, queueBound, Sampler.Decode.DYNAMIC);
  }

  /**
   * @param decode how decode steps run (see the class comment); {@code CUDA_GRAPH} needs CUDA
   */
  public BatchEngine(
      Qwen2Model model,
      int samplableVocab,
      int maxBatch,
      int maxModelLen,
      int queueBound,
      Sampler.Decode decode) {
    this(model, Map.of(), samplableVocab, maxBatch, maxModelLen, queueBound, decode);
  }

  /**
   * An engine over {@code model} and the LoRA {@code adapters} a request may name, decoding as
   * {@code decode} says (a step in which some row uses an adapter runs as {@code DYNAMIC}: the
   * per-row routed view is not one fixed shape).
   */
  public BatchEngine(
      Qwen2Model model,
      Map<String, LoraAdapters> adapters,
      int samplableVocab,
      int maxBatch,
      int maxModelLen,
      int queueBound,
      Sampler.Decode decode) {
    if (model.lora() != null)
      throw new IllegalArgumentException(
          "the engine takes the base model; give its adapters by name");
    for (var e : adapters.entrySet()) model.withLora(e.getValue()); // throws on a shape mismatch
    this.adapters = Map.copyOf(adapters);
    if (decode == Sampler.Decode.CUDA_GRAPH) {
      String why = CudaGraph.unsupportedReason(model.device());
      if (why != null) throw new IllegalArgumentException("decode cuda_graph: " + why);
    }
    this.decode = decode;
    this.vocabulary = new Vocabulary(model.config().vocabSize(), samplableVocab);
    if (maxBatch <= 0) throw new IllegalArgumentException("max batch must be > 0, got " + maxBatch);
    if (queueBound <= 0)
      throw new IllegalArgumentException("queue bound must be > 0, got " + queueBound);
    if (maxModelLen < 2 || maxModelLen > model.config().maxPositionEmbeddings()) {
      throw new IllegalArgumentException(
          "max model length must be in 2.."
              + model.config().maxPositionEmbeddings()
              + " (the model's max_position_embeddings), got "
              + maxModelLen);
    }
    this.model = model;
    this.maxModelLen = maxModelLen;
    this.queueBound = queueBound;
    this.cache =
        SlotKvCache.allocate(
            model.config(), maxBatch, maxModelLen, Tensors.options(model.dtype(), model.device()));
    if (decode != Sampler.Decode.DYNAMIC) {
      inputBuffer =
          torch.zeros(new long[] {maxBatch, 1}, Tensors.options(DType.I64, model.device()));
      logitsBuffer =
          torch.zeros(
              new long[] {maxBatch, model.config().vocabSize()},
              Tensors.options(DType.F32, model.device()));
    } else {
      inputBuffer = null;
      logitsBuffer = null;
    }
    this.waiting = new ArrayBlockingQueue<>(queueBound);
    this.thread = new Thread(this::loop, "grpo4j-batch-engine");
    thread.setDaemon(true);
    thread.start();
  }

  public int maxBatch() {
    return cache.slots();
  }

  public int maxModelLen() {
    return maxModelLen;
  }

  /** The model it serves (read-only use: the engine thread owns its forward passes). */
  public Qwen2Model model() {
    return model;
  }

  /** How decode steps run now (CUDA_GRAPH turns into STATIC when a capture failed). */
  public Sampler.Decode decode() {
    return decode;
  }

  /** The decode batch of a step over {@code occupied} slots: the next power of two, ≤ max batch. */
  static int rowBucket(int occupied, int maxBatch) {
    int b = 1;
    while (b < occupied) b <<= 1;
    return Math.min(b, maxBatch);
  }

  /**
   * The attention width of a step whose longest sequence holds {@code longest} positions: the next
   * of 64, 128, 256, … above it, ≤ {@code capacity}.
   */
  static int columnBucket(int longest, int capacity) {
    int c = 64;
    while (c <= longest) c <<= 1;
    return Math.min(c, capacity);
  }

  /**
   * Queues a request. The listener is called on the engine thread.
   *
   * @throws IllegalArgumentException when the request can never run here (too long, n above the
   *     batch, ids outside the vocabulary)
   * @throws QueueFullException when the waiting queue is full
   */
  public Ticket submit(GenerationRequest request, TokenListener listener) {
    if (closed) throw new IllegalStateException("the engine is closed");
    int[] prompt = request.promptIds();
    vocabulary.checkPrompt(prompt);
    if (prompt.length + request.params().maxNewTokens() > maxModelLen) {
      throw new IllegalArgumentException(
          "prompt ("
              + prompt.length
              + " tokens) + max tokens ("
              + request.params().maxNewTokens()
              + ") exceeds the maximum model length "
              + maxModelLen);
    }
    if (request.n() > cache.slots())
      throw new IllegalArgumentException(
          "n = " + request.n() + " exceeds the batch size " + cache.slots());
    LoraAdapters adapter = null;
    if (request.adapter() != null) {
      adapter = adapters.get(request.adapter());
      if (adapter == null)
        throw new IllegalArgumentException(
            "no adapter named '" + request.adapter() + "'; this engine holds " + adapters.keySet());
    }
    Job job = new Job(request, listener, adapter);
    if (!waiting.offer(job)) throw new QueueFullException(queueBound);
    return new Ticket(job);
  }

  public Stats stats() {
    return new Stats(
        waiting.size(), running, cache.slots(), steps.get(), generated.get(), prefilled.get());
  }

  /**
   * Stops the engine thread; requests still queued or running get {@link TokenListener#onError}.
   */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void loop() {
    try {
      while (!closed) {
        try {
          admit();
          retireCancelled();
          if (!rows.isEmpty()) decodeStep();
        } catch (InterruptedException e) {
          break;
        } catch (RuntimeException e) {
          failAll(e);
        }
        running = rows.size();
      }
    } finally {
      RuntimeException stopped = new IllegalStateException("the engine was shut down");
      failAll(stopped);
      for (Job j; (j = waiting.poll()) != null; ) notifyError(j, stopped);
      for (CudaGraph g : graphs.values()) g.close(); // on the thread that captured them
      graphs.clear();
    }
  }

  /**
   * Moves waiting requests into free slots, in arrival order, and prefills them together; blocks
   * while there is nothing to do.
   */
  private void admit() throws InterruptedException {
    List<Job> batch = new ArrayList<>();
    int free = cache.free();
    if (rows.isEmpty()) {
      Job first = waiting.poll(200, TimeUnit.MILLISECONDS);
      if (first == null) return;
      if (!first.cancelled) {
        batch.add(first);
        free -= first.request.n();
      }
    }
    for (Job head; (head = waiting.peek()) != null; ) {
      if (!head.cancelled && head.request.n() > free) break;
      waiting.poll();
      if (head.cancelled) continue;
      batch.add(head);
      free -= head.request.n();
    }
    if (batch.isEmpty()) return;
    try {
      prefill(batch);
    } catch (RuntimeException e) {
      for (Job j : batch) {
        releaseRowsOf(j);
        notifyError(j, e);
      }
    }
    running = rows.size();
  }

  /**
   * One forward pass over the new prompts, right-padded so that row r's keys sit at columns 0 …
   * len(r)−1, as the slots keep them; each prompt's cache row is then copied to its n slots and its
   * first tokens sampled.
   */
  private void prefill(List<Job> jobs) {
    int count = jobs.size();
    int longest = 0;
    for (Job j : jobs) longest = Math.max(longest, j.request.promptIds().length);
    // created outside the step's scope: a row's generator lives as long as the row
    List<Generator[]> generators = new ArrayList<>();
    for (Job j : jobs) {
      Generator[] g = new Generator[j.request.n()];
      for (int c = 0; c < g.length; c++)
        g[c] = torch.createCPUGenerator(j.request.params().seed() + c);
      generators.add(g);
    }
    try (PointerScope scope = new PointerScope();
        NoGradGuard noGrad = new NoGradGuard()) {
      long[][] ids = new long[count][longest];
      long[][] valid = new long[count][longest];
      long[] last = new long[count];
      for (int r = 0; r < count; r++) {
        int[] prompt = jobs.get(r).request.promptIds();
        for (int i = 0; i < prompt.length; i++) {
          ids[r][i] = prompt[i];
          valid[r][i] = 1;
        }
        last[r] = prompt.length - 1;
        prefilled.addAndGet(prompt.length);
      }
      Tensor input = Tensors.longs(ids).to(model.device(), torch.ScalarType.Long);
      Tensor keyValid = Tensors.longs(valid).to(model.device(), torch.ScalarType.Bool);
      KvCache prefix =
          KvCache.allocate(
              model.config(), count, longest, Tensors.options(model.dtype(), model.device()));
      List<LoraAdapters> rowAdapters = new ArrayList<>();
      for (Job j : jobs) rowAdapters.add(j.adapter);
      Tensor h = forRows(rowAdapters).hiddenPadded(input, keyValid, prefix);
      Tensor lastIndex =
          Tensors.longs(last)
              .to(model.device(), torch.ScalarType.Long)
              .view(count, 1, 1)
              .expand(count, 1, h.size(2));
      Tensor logits =
          model
              .logits(torch.gather(h, 1, lastIndex).squeeze(1))
              .to(torch.ScalarType.Float); // [count, V]
      for (int r = 0; r < count; r++) {
        Job job = jobs.get(r);
        int n = job.request.n();
        int first = cache.admit(prefix, r, job.request.promptIds().length, n);
        for (int c = 0; c < n; c++) rows.add(new Row(job, c, generators.get(r)[c]));
        pickAndEmit(first, logits.narrow(0, r, 1).expand(n, logits.size(1)));
      }
    }
  }

  private void decodeStep() {
    // a row with an adapter needs the per-row routed view, whose shapes are not a bucket's
    if (decode != Sampler.Decode.DYNAMIC && rows.stream().allMatch(r -> r.job.adapter == null)) {
      fixedDecodeStep();
      return;
    }
    try (PointerScope scope = new PointerScope();
        NoGradGuard noGrad = new NoGradGuard()) {
      int n = rows.size();
      long[] pending = new long[n];
      for (int s = 0; s < n; s++) pending[s] = rows.get(s).pending;
      Tensor input = Tensors.longs(pending).reshape(n, 1).to(model.device(), torch.ScalarType.Long);
      Tensor positions = cache.decodePositions();
      Tensor mask = cache.decodeMask();
      List<LoraAdapters> rowAdapters = new ArrayList<>();
      for (Row r : rows) rowAdapters.add(r.job.adapter);
      Tensor h = forRows(rowAdapters).hidden(input, positions, mask, cache);
      Tensor logits = model.logits(h).squeeze(1).to(torch.ScalarType.Float);
      steps.incrementAndGet();
      pickAndEmit(0, logits);
    }
  }

  /**
   * The model for a batch whose row i uses {@code rowAdapters.get(i)} (null: the base): the base
   * itself when no row uses an adapter, else its per-row routed view.
   */
  private Qwen2Model forRows(List<LoraAdapters> rowAdapters) {
    Map<LoraAdapters, List<Long>> groups = new LinkedHashMap<>();
    for (int i = 0; i < rowAdapters.size(); i++) {
      LoraAdapters a = rowAdapters.get(i);
      if (a != null) groups.computeIfAbsent(a, k -> new ArrayList<>()).add((long) i);
    }
    if (groups.isEmpty()) return model;
    List<Qwen2Model.AdapterRows> routes = new ArrayList<>();
    for (var g : groups.entrySet()) {
      long[] idx = g.getValue().stream().mapToLong(Long::longValue).toArray();
      routes.add(
          new Qwen2Model.AdapterRows(
              g.getKey(), Tensors.longs(idx).to(model.device(), torch.ScalarType.Long)));
    }
    return model.routed(routes);
  }

  /**
   * A STATIC or CUDA_GRAPH decode step: the pending tokens and the slots' lengths go into device
   * tensors, then the bucket's forward pass runs (or its graph replays) and leaves the logits of
   * every row in {@link #logitsBuffer}; the host then advances the lengths and samples.
   */
  private void fixedDecodeStep() {
    try (PointerScope scope = new PointerScope();
        NoGradGuard noGrad = new NoGradGuard()) {
      int n = rows.size();
      if (!cache.canAdvance()) throw new IllegalStateException("a slot is full");
      long[] pending = new long[n];
      for (int s = 0; s < n; s++) pending[s] = rows.get(s).pending;
      inputBuffer.narrow(0, 0, n).copy_(Tensors.longs(pending).reshape(n, 1));
      cache.syncLengths();
      int b = rowBucket(n, cache.slots());
      int c = columnBucket(cache.longest(), cache.capacity());
      Runnable forward = () -> forwardFixed(b, c);
      if (decode == Sampler.Decode.CUDA_GRAPH) {
        long key = ((long) b << 32) | c;
        CudaGraph graph = graphs.get(key);
        if (graph != null) {
          graph.replay();
        } else {
          try {
            if (graphPool == null) graphPool = CudaGraph.Pool.create();
            // runs the step once for real (warm-up), then records it for the next ones
            graphs.put(key, CudaGraph.capture(model.device(), graphPool, forward));
          } catch (RuntimeException e) {
            System.err.println(
                "grpo4j: capturing the decode step as a CUDA graph failed ("
                    + e.getMessage()
                    + "); decoding without CUDA graphs from now on");
            decode = Sampler.Decode.STATIC;
            for (CudaGraph g : graphs.values()) g.close();
            graphs.clear();
            cache.syncLengths(); // the failed capture may have run the step: run it again
            forward.run();
          }
        }
      } else {
        forward.run();
      }
      cache.advanceOccupied();
      steps.incrementAndGet();
      pickAndEmit(0, logitsBuffer.narrow(0, 0, n));
    }
  }

  /**
   * The forward pass of a fixed step over slots 0 … b − 1 with attention over c columns: reads
   * {@link #inputBuffer} and the device lengths, writes the KV cache and {@link #logitsBuffer};
   * touches no host state (it is what a graph records).
   */
  private void forwardFixed(int b, int c) {
    try (PointerScope scope = new PointerScope()) {
      SlotKvCache.FixedStep step = cache.fixedStep(b, c);
      Tensor h = model.hidden(inputBuffer.narrow(0, 0, b), step.positions(), step.mask(), step);
      logitsBuffer.narrow(0, 0, b).copy_(model.logits(h).squeeze(1));
    }
  }

  /**
   * Samples the next token of the rows in slots {@code from} … {@code from + logits.size(0) − 1},
   * hands each to its listener and retires the rows that ended.
   */
  private void pickAndEmit(int from, Tensor logits) {
    int count = (int) logits.size(0);
    Tensor z = vocabulary.mask(logits);
    Tensor logp = torch.log_softmax(z, -1);
    long[] greedy = Tensors.toLongs(CategoricalSampler.argmax(z));
    int[] tokens = new int[count];
    int topK = 0;
    for (int i = 0; i < count; i++) {
      Row row = rows.get(from + i);
      SamplingParams p = row.job.request.params();
      tokens[i] = p.greedy() ? (int) greedy[i] : sample(z.select(0, i), p, row.generator);
      topK = Math.max(topK, Math.min(row.job.request.topLogprobs(), vocabulary.samplable()));
    }
    long[] chosenIds = new long[count];
    for (int i = 0; i < count; i++) chosenIds[i] = tokens[i];
    Tensor chosen = Tensors.longs(chosenIds).to(logp.device(), torch.ScalarType.Long).unsqueeze(1);
    float[] chosenLogp = Tensors.toFloats(torch.gather(logp, 1, chosen).squeeze(1).contiguous());
    long[] topIds = null;
    float[] topLogp = null;
    if (topK > 0) {
      T_TensorTensor_T top = torch.topk(logp, topK, -1, true, true);
      topLogp = Tensors.toFloats(top.get0().contiguous());
      topIds = Tensors.toLongs(top.get1().contiguous());
    }
    List<Integer> ended = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Row row = rows.get(from + i);
      if (emit(row, tokens[i], chosenLogp[i], topK, topIds, topLogp, i)) ended.add(from + i);
    }
    for (int k = ended.size() - 1; k >= 0; k--) release(ended.get(k));
  }

  /** Draws one token from logits [V] under the row's temperature / top-k / top-p. */
  private int sample(Tensor logits, SamplingParams p, Generator gen) {
    Tensor z = LogitsWarper.warp(logits.unsqueeze(0), p, vocabulary.samplable());
    return (int) CategoricalSampler.draw(z, gen).item_long();
  }

  /** Passes one token on; returns true when the row has ended. */
  private boolean emit(
      Row row, int token, float logprob, int topK, long[] topIds, float[] topLogp, int i) {
    Job job = row.job;
    if (job.cancelled || job.failed) return true;
    SamplingParams p = job.request.params();
    row.produced++;
    generated.incrementAndGet();
    Sample.FinishReason finish = null;
    boolean keepGoing = true;
    if (p.stopTokenIds().contains(token)) {
      finish = Sample.FinishReason.STOP;
    } else {
      int k = Math.min(job.request.topLogprobs(), topK);
      int[] ids = new int[k];
      float[] lps = new float[k];
      for (int j = 0; j < k; j++) {
        ids[j] = (int) topIds[i * topK + j];
        lps[j] = topLogp[i * topK + j];
      }
      try {
        keepGoing = job.listener.onToken(row.choice, new GeneratedToken(token, logprob, ids, lps));
      } catch (RuntimeException e) {
        job.cancelled = true;
        return true;
      }
      if (!keepGoing) finish = Sample.FinishReason.STOP;
      else if (row.produced >= p.maxNewTokens()) finish = Sample.FinishReason.LENGTH;
    }
    if (finish == null) {
      row.pending = token;
      return false;
    }
    try {
      job.listener.onFinish(row.choice, finish, row.produced);
    } catch (RuntimeException e) {
      job.cancelled = true;
    }
    return true;
  }

  private void retireCancelled() {
    for (int s = rows.size() - 1; s >= 0; s--) {
      if (rows.get(s).job.cancelled) release(s);
    }
    running = rows.size();
  }

  private void release(int slot) {
    int moved = cache.release(slot);
    Row last = rows.remove(rows.size() - 1);
    if (moved != slot) rows.set(slot, last);
  }

  private void releaseRowsOf(Job job) {
    for (int s = rows.size() - 1; s >= 0; s--) {
      if (rows.get(s).job == job) release(s);
    }
  }

  private void failAll(RuntimeException e) {
    List<Job> jobs = new ArrayList<>();
    for (Row r : rows) if (!jobs.contains(r.job)) jobs.add(r.job);
    while (!rows.isEmpty()) release(rows.size() - 1);
    for (Job j : jobs) notifyError(j, e);
    running = 0;
  }

  private static void notifyError(Job job, RuntimeException e) {
    if (job.failed) return;
    job.failed = true;
    try {
      job.listener.onError(e);
    } catch (RuntimeException ignored) {
      // the listener's own failure must not stop the engine
    }
  }
}
