package io.grpo4j.generate;

import io.grpo4j.model.KvCache;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.model.TurnKvCache;
import io.grpo4j.torch.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Multi-turn rollouts: each row is an episode in which the model takes a turn, an environment
 * answers with an observation that is appended to the row's context, the model takes its next turn,
 * and so on until the environment ends the episode.
 *
 * <p>Rows that wait for their environment <em>leave the decode batch</em>: a {@link TurnKvCache}
 * keeps the decoding rows in one contiguous block and the waiting rows beside it, so a decode step
 * costs only the rows that decode and never waits for an environment. A reply that arrives is taken
 * between two decode steps: the rows whose replies arrived are prefilled together — the turn's last
 * token (sampled, not yet fed) and the observation, each row at its own position — and join the
 * next decode step. Replies are futures ({@link Turns#turnEnded}), so environment calls run
 * concurrently, bounded by whoever completes them.
 *
 * <p>Each row samples with its own generator, seeded {@code params.seed() + row}: a row's tokens do
 * not depend on which other rows shared its decode steps, so the order in which replies arrive does
 * not change the episodes (up to float rounding of the batched matrix products; {@code
 * EpisodeSamplerTest} checks the tokens). Greedy rows take the arg-max.
 *
 * <p>A model turn ends on a stop token of {@code params}, when {@link Turns#endsTurn} says so (stop
 * strings), after {@code params.maxNewTokens()} tokens, or when the episode has used {@link
 * Limits#maxTokens} tokens after its prompt (the model's and the observations' together). The
 * turn's request is the last one ({@code last}: the reply must end the episode) when the episode
 * has had {@link Limits#maxTurns} turns or has no room left.
 */
public final class EpisodeSampler {
  private final Qwen2Model model;
  private final Vocabulary vocabulary;

  /**
   * @param samplableVocab ids at or above it are never sampled (untrained padding rows)
   */
  public EpisodeSampler(Qwen2Model model, int samplableVocab) {
    this.model = model;
    this.vocabulary = new Vocabulary(model.config().vocabSize(), samplableVocab);
  }

  /** Where the environment's side of an episode comes from. */
  public interface Turns {
    /**
     * Whether the model's turn ends after its latest token (stop strings). Stop tokens end a turn
     * without asking. Called on the sampling thread after every sampled token.
     *
     * @param turn the turn's ids so far, the latest last
     */
    boolean endsTurn(int row, int[] turn);

    /**
     * Row {@code row}'s model turn number {@code turn} (1, 2, ...) has ended; returns the
     * environment's reply when it comes. Called on the sampling thread: it must return at once. A
     * future that fails ends the episode as failed, with the exception's message.
     *
     * @param turnIds the turn's ids
     * @param room tokens the episode may still add: an observation of m tokens fits when m + 1 ≤
     *     room (one token is left for the model)
     * @param last no further turn can follow: the reply must end the episode
     */
    CompletableFuture<Reply> turnEnded(int row, int turn, int[] turnIds, int room, boolean last);
  }

  /**
   * An environment's reply as the sampler needs it: observation ids to append, or the end.
   *
   * @param observation the ids to append and continue from, or null to end the episode
   */
  public record Reply(int[] observation) {
    public static Reply end() {
      return new Reply(null);
    }

    public static Reply observe(int[] ids) {
      return new Reply(ids.clone());
    }

    public boolean done() {
      return observation == null;
    }
  }

  /**
   * @param maxTurns model turns per episode, at least 1
   * @param maxTokens tokens an episode may add after its prompt (model and observations), at least
   *     2
   */
  public record Limits(int maxTurns, int maxTokens) {
    public Limits {
      if (maxTurns < 1) throw new IllegalArgumentException("max turns must be >= 1");
      if (maxTokens < 2) throw new IllegalArgumentException("max tokens must be >= 2");
    }
  }

  /**
   * The episodes of one call, n per prompt in prompt order (rows p·n … p·n+n−1).
   *
   * @param samples each episode, its observations marked ({@link Sample#fromModel})
   * @param failures why an episode failed (its reply future failed or broke a rule), null if not
   * @param promptTokens prompt tokens prefilled (each prompt once)
   * @param prefillSeconds the prompts' prefill
   * @param decodeSeconds everything after it: decode steps, observation prefills, waiting
   * @param idleSeconds time in which no row could decode because all waited for their environment
   * @param decodeSteps forward passes after the prompts' prefill (decode steps and observation
   *     prefills)
   */
  public record Result(
      List<Sample> samples,
      List<String> failures,
      long promptTokens,
      double prefillSeconds,
      double decodeSeconds,
      double idleSeconds,
      long decodeSteps) {
    public Result {
      samples = List.copyOf(samples);
      failures = java.util.Collections.unmodifiableList(new ArrayList<>(failures));
    }
  }

  /** One episode's state. */
  private static final class Row {
    final int index;
    final Generator generator;
    final List<Integer> ids = new ArrayList<>();
    final List<Float> logps = new ArrayList<>();
    final List<Float> ents = new ArrayList<>();
    final List<Boolean> fromModel = new ArrayList<>();
    int turnStart; // index in ids where the current model turn starts
    int turns;
    boolean last;
    int pending; // the latest sampled id, not yet fed to the model
    Sample.FinishReason finish;
    CompletableFuture<Reply> reply;
    String failure;
    boolean done;
    int slot;

    Row(int index, Generator generator) {
      this.index = index;
      this.generator = generator;
    }

    int[] turnIds() {
      int[] a = new int[ids.size() - turnStart];
      for (int i = 0; i < a.length; i++) a[i] = ids.get(turnStart + i);
      return a;
    }
  }

  /**
   * Runs {@code n} episodes from every prompt.
   *
   * @param params sampling settings; {@code maxNewTokens} limits each model turn
   */
  public Result generate(
      List<int[]> prompts, int n, SamplingParams params, Limits limits, Turns turns) {
    if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts");
    if (n <= 0) throw new IllegalArgumentException("n must be > 0, got " + n);
    int longest = 0;
    long promptTokens = 0;
    for (int[] p : prompts) {
      if (p.length == 0)
        throw new IllegalArgumentException("empty prompt: give at least one token");
      vocabulary.checkPrompt(p);
      longest = Math.max(longest, p.length);
      promptTokens += p.length;
    }
    int maxPos = model.config().maxPositionEmbeddings();
    if (longest + 1 >= maxPos) {
      throw new IllegalArgumentException(
          "prompt (" + longest + ") leaves no room in max_position_embeddings " + maxPos);
    }
    // the episode budget, capped by the model's context
    int maxTokens = Math.min(limits.maxTokens(), maxPos - longest);
    int rowsCount = prompts.size() * n;
    long t0 = System.nanoTime();
    long tPrefill;
    long idle = 0;
    long steps = 0;
    List<Row> rows = new ArrayList<>(rowsCount);
    LinkedBlockingQueue<Row> ready = new LinkedBlockingQueue<>();
    try (PointerScope outer = new PointerScope();
        NoGradGuard noGrad = new NoGradGuard()) {
      for (int r = 0; r < rowsCount; r++) {
        rows.add(new Row(r, torch.createCPUGenerator(params.seed() + r)));
      }
      TurnKvCache cache =
          TurnKvCache.allocate(
              model.config(),
              rowsCount,
              longest + maxTokens,
              Tensors.options(model.dtype(), model.device()));
      Row[] inSlot = new Row[rowsCount];
      for (Row row : rows) {
        row.slot = row.index;
        inSlot[row.index] = row;
      }
      Slots slots = new Slots(cache, inSlot);
      List<Row> ended = new ArrayList<>();
      try (PointerScope scope = new PointerScope()) {
        Tensor logits = prefillPrompts(prompts, longest, n, cache);
        pick(rows, logits, params, maxTokens, limits, turns, ended);
      }
      tPrefill = System.nanoTime();
      slots.active = rowsCount;
      leave(ended, slots, turns, ready, maxTokens);
      int doneCount = 0;
      while (doneCount < rowsCount) {
        // 1. replies that arrived: ended episodes, or observations to prefill
        List<Row> back = new ArrayList<>();
        Row got = slots.active == 0 ? null : ready.poll();
        if (slots.active == 0) {
          long w = System.nanoTime();
          try {
            got = ready.poll(200, TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for environments", e);
          }
          idle += System.nanoTime() - w;
        }
        for (; got != null; got = ready.poll()) {
          if (receive(got, maxTokens, vocabulary)) back.add(got);
          else doneCount++;
        }
        try (PointerScope scope = new PointerScope()) {
          // 2. the returning rows: [pending | observation] prefilled at each row's own position
          if (!back.isEmpty()) {
            int from = slots.active;
            int[] width = new int[back.size()];
            for (int j = 0; j < back.size(); j++) {
              Row row = back.get(j);
              slots.swap(row.slot, from + j);
              width[j] = 1 + row.reply.join().observation().length;
            }
            cache.block(from, width);
            int w = 0;
            for (int x : width) w = Math.max(w, x);
            long[] input = new long[back.size() * w];
            long[] lastAt = new long[back.size()];
            for (int j = 0; j < back.size(); j++) {
              Row row = back.get(j);
              int[] obs = row.reply.join().observation();
              input[j * w] = row.pending;
              for (int i = 0; i < obs.length; i++) input[j * w + 1 + i] = obs[i];
              lastAt[j] = width[j] - 1;
              appendObservation(row, obs);
              row.reply = null;
            }
            slots.active += back.size();
            Tensor h =
                model.hidden(
                    Tensors.longs(input)
                        .reshape(back.size(), w)
                        .to(model.device(), torch.ScalarType.Long),
                    cache.positions(),
                    cache.mask(),
                    cache);
            Tensor at =
                Tensors.longs(lastAt)
                    .to(model.device(), torch.ScalarType.Long)
                    .view(back.size(), 1, 1)
                    .expand(back.size(), 1, h.size(2));
            Tensor lg = model.logits(torch.gather(h, 1, at).squeeze(1)).to(torch.ScalarType.Float);
            steps++;
            ended.clear();
            pick(back, lg, params, maxTokens, limits, turns, ended);
            leave(ended, slots, turns, ready, maxTokens);
          }
          // 3. one decode step of every row in the block
          if (slots.active > 0) {
            int k = slots.active;
            int[] ones = new int[k];
            long[] input = new long[k];
            List<Row> block = new ArrayList<>(k);
            for (int s = 0; s < k; s++) {
              ones[s] = 1;
              input[s] = inSlot[s].pending;
              block.add(inSlot[s]);
            }
            cache.block(0, ones);
            Tensor h =
                model.hidden(
                    Tensors.longs(input).reshape(k, 1).to(model.device(), torch.ScalarType.Long),
                    cache.positions(),
                    cache.mask(),
                    cache);
            Tensor lg = model.logits(h).squeeze(1).to(torch.ScalarType.Float);
            steps++;
            ended.clear();
            pick(block, lg, params, maxTokens, limits, turns, ended);
            leave(ended, slots, turns, ready, maxTokens);
          }
        }
      }
    }
    long t1 = System.nanoTime();
    List<Sample> samples = new ArrayList<>(rowsCount);
    List<String> failures = new ArrayList<>(rowsCount);
    for (Row row : rows) {
      int k = row.ids.size();
      int[] ids = new int[k];
      float[] lp = new float[k];
      float[] en = new float[k];
      boolean[] fm = new boolean[k];
      for (int i = 0; i < k; i++) {
        ids[i] = row.ids.get(i);
        lp[i] = row.logps.get(i);
        en[i] = row.ents.get(i);
        fm[i] = row.fromModel.get(i);
      }
      int p = row.index / n;
      samples.add(new Sample(p, prompts.get(p).clone(), ids, lp, en, row.finish, fm));
      failures.add(row.failure);
    }
    return new Result(
        samples,
        failures,
        promptTokens,
        (tPrefill - t0) / 1e9,
        (t1 - tPrefill) / 1e9,
        idle / 1e9,
        steps);
  }

  /** Which row sits in which slot, and how many slots (the first) form the decode block. */
  private static final class Slots {
    final TurnKvCache cache;
    final Row[] inSlot;
    int active;

    Slots(TurnKvCache cache, Row[] inSlot) {
      this.cache = cache;
      this.inSlot = inSlot;
    }

    void swap(int a, int b) {
      if (a == b) return;
      cache.swap(a, b);
      Row ra = inSlot[a];
      Row rb = inSlot[b];
      inSlot[a] = rb;
      inSlot[b] = ra;
      ra.slot = b;
      rb.slot = a;
    }
  }

  /**
   * The prompts right-padded into one forward pass ([P, L]); each prompt's keys/values copied to
   * the slots of its n rows. Returns the logits [P·n, V] that pick each row's first token.
   */
  private Tensor prefillPrompts(List<int[]> prompts, int longest, int n, TurnKvCache cache) {
    int count = prompts.size();
    long[][] ids = new long[count][longest];
    long[][] valid = new long[count][longest];
    long[] last = new long[count];
    for (int p = 0; p < count; p++) {
      int[] prompt = prompts.get(p);
      for (int i = 0; i < prompt.length; i++) {
        ids[p][i] = prompt[i];
        valid[p][i] = 1;
      }
      last[p] = prompt.length - 1;
    }
    KvCache prefix =
        KvCache.allocate(
            model.config(), count, longest, Tensors.options(model.dtype(), model.device()));
    Tensor h =
        model.hiddenPadded(
            Tensors.longs(ids).to(model.device(), torch.ScalarType.Long),
            Tensors.longs(valid).to(model.device(), torch.ScalarType.Bool),
            prefix);
    Tensor at =
        Tensors.longs(last)
            .to(model.device(), torch.ScalarType.Long)
            .view(count, 1, 1)
            .expand(count, 1, h.size(2));
    Tensor logits = model.logits(torch.gather(h, 1, at).squeeze(1)).to(torch.ScalarType.Float);
    for (int p = 0; p < count; p++) cache.fill(prefix, p, prompts.get(p).length, p * n, n);
    Tensor rowOf =
        torch.repeat_interleave(
            torch.arange(
                new Scalar(count), Tensors.options(io.grpo4j.torch.DType.I64, model.device())),
            n);
    return logits.index_select(0, rowOf).contiguous();
  }

  /**
   * Samples the next token of each of {@code block} (logits [k, V] in that order), appends it and
   * adds the rows whose turn ended to {@code ended}.
   */
  private void pick(
      List<Row> block,
      Tensor logits,
      SamplingParams p,
      int maxTokens,
      Limits limits,
      Turns turns,
      List<Row> ended) {
    int k = block.size();
    Tensor z = vocabulary.mask(logits);
    long[] token = new long[k];
    if (p.greedy()) {
      token = Tensors.toLongs(CategoricalSampler.argmax(z));
    } else {
      z = LogitsWarper.warp(z, p, vocabulary.samplable());
      for (int i = 0; i < k; i++) {
        token[i] = CategoricalSampler.draw(z.narrow(0, i, 1), block.get(i).generator).item_long();
      }
    }
    Tensor logp = torch.log_softmax(z, -1);
    Tensor entropy =
        logp.exp()
            .mul(logp.masked_fill(torch.isinf(logp), new Scalar(0.0)))
            .sum(new long[] {-1}, false, new ScalarTypeOptional())
            .neg();
    Tensor chosen =
        torch
            .gather(
                logp, 1, Tensors.longs(token).to(logp.device(), torch.ScalarType.Long).view(k, 1))
            .squeeze(1);
    float[] lp = Tensors.toFloats(chosen.contiguous());
    float[] en = Tensors.toFloats(entropy.contiguous());
    for (int i = 0; i < k; i++) {
      Row row = block.get(i);
      int t = (int) token[i];
      row.ids.add(t);
      row.logps.add(lp[i]);
      row.ents.add(en[i]);
      row.fromModel.add(true);
      row.pending = t;
      Sample.FinishReason finish = null;
      int turnLength = row.ids.size() - row.turnStart;
      if (p.stopTokenIds().contains(t) || turns.endsTurn(row.index, row.turnIds())) {
        finish = Sample.FinishReason.STOP;
      } else if (turnLength >= p.maxNewTokens() || row.ids.size() >= maxTokens) {
        finish = Sample.FinishReason.LENGTH;
      }
      if (finish != null) {
        row.finish = finish;
        row.turns++;
        row.last = row.turns >= limits.maxTurns() || row.ids.size() >= maxTokens - 1;
        ended.add(row);
      }
    }
  }

  /**
   * Moves the rows whose turn ended out of the decode block and asks for their replies; each reply
   * puts its row on {@code ready} when it completes.
   */
  private static void leave(
      List<Row> ended, Slots slots, Turns turns, LinkedBlockingQueue<Row> ready, int maxTokens) {
    for (Row row : ended) {
      slots.swap(row.slot, slots.active - 1);
      slots.active--;
      CompletableFuture<Reply> f;
      try {
        f =
            turns.turnEnded(
                row.index, row.turns, row.turnIds(), maxTokens - row.ids.size(), row.last);
        if (f == null) f = CompletableFuture.failedFuture(new IllegalStateException("no reply"));
      } catch (RuntimeException e) {
        f = CompletableFuture.failedFuture(e);
      }
      row.reply = f;
      f.whenComplete((r, e) -> ready.add(row));
    }
  }

  /**
   * Takes a row's reply: returns true when it goes on (an observation to prefill), false when its
   * episode is over (done, or failed).
   */
  private static boolean receive(Row row, int maxTokens, Vocabulary vocabulary) {
    Reply r;
    try {
      r = row.reply.join();
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      return fail(row, cause.getMessage() != null ? cause.getMessage() : cause.toString());
    }
    if (r == null) return fail(row, "no reply");
    if (r.done()) {
      row.done = true;
      row.reply = null;
      return false;
    }
    if (row.last) return fail(row, "the reply to the last turn must end the episode");
    try {
      vocabulary.checkPrompt(r.observation());
    } catch (IllegalArgumentException e) {
      return fail(row, "observation: " + e.getMessage());
    }
    int room = maxTokens - row.ids.size();
    if (r.observation().length + 1 > room) {
      return fail(
          row,
          "an observation of "
              + r.observation().length
              + " tokens does not fit in the episode's "
              + room
              + " remaining tokens");
    }
    row.turnStart = row.ids.size() + r.observation().length;
    return true;
  }

  private static boolean fail(Row row, String why) {
    row.failure = why;
    row.done = true;
    row.reply = null;
    return false;
  }

  private static void appendObservation(Row row, int[] obs) {
    for (int id : obs) {
      row.ids.add(id);
      row.logps.add(0f);
      row.ents.add(0f);
      row.fromModel.add(false);
    }
  }
}
