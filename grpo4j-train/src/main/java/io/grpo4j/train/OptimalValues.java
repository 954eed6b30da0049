package io.grpo4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.config.RunConfig;
import io.grpo4j.eval.Scoring;
import io.grpo4j.generate.Rollout;
import io.grpo4j.generate.Sampler;
import io.grpo4j.generate.SamplingParams;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.rl.AStarPo;
import io.grpo4j.task.Problem;
import io.grpo4j.torch.AtomicFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.PointerScope;

/**
 * Stage 1 of A*-PO ({@link AStarPo}), once per run: N completions of π_ref for each of the run's
 * {@code rl.astar.prompts} training prompts, their rewards, and V̂*(x) = β1·ln mean exp(r/β1).
 *
 * <p>What it writes into the run folder, atomically after every batch of prompts (so a stopped
 * stage 1 resumes from its last finished batch, and a finished one is read back, never sampled
 * again):
 *
 * <ul>
 *   <li>{@code astar/values.jsonl}: one row per prompt, in the pool's order: {@code index}, {@code
 *       id}, {@code rewards} (N values; null when a reward request failed), {@code v_star}, {@code
 *       successes} (samples that solved it), {@code completion_tokens};
 *   <li>{@code astar/stage1.json}: its cost, summed over resumes — {@code seconds}, {@code
 *       prompt_tokens}, {@code completion_tokens} (generated tokens), {@code samples} — and the
 *       pool's statistics ({@code solved_share}: prompts with at least one success among N; {@code
 *       mean_reward}; {@code v_star_mean}).
 * </ul>
 *
 * The prompts are drawn from their own seed stream ({@link Seeds#ASTAR_PROMPTS}), outside the
 * held-out set; the samples use (seed, {@link Seeds#ASTAR_STAGE1}, batch) and the run's sampling
 * settings, so the same config always values the same prompts with the same samples.
 *
 * @param problems stage 2's prompts: the pool less failed ones, and less the unsolved ones with
 *     {@code rl.astar.drop_unsolved}
 * @param values V̂* of each of {@code problems}
 * @param cost stage 1's cost, counted in every comparison with other algorithms
 * @param solvedShare share of the pool's prompts with at least one success among their N samples
 */
record OptimalValues<D>(List<Problem<D>> problems, double[] values, Cost cost, double solvedShare) {

  /** Stage 1's cost, summed over resumes. */
  record Cost(double seconds, long promptTokens, long completionTokens, long samples) {}

  static final String VALUES_FILE = "astar/values.jsonl";
  static final String STAGE1_FILE = "astar/stage1.json";

  /**
   * Rows of one generation batch: the rows of a GRPO step of the quickstart (32 prompts × 8), so
   * stage 1 samples at the batch size rollouts are tuned for.
   */
  static final int BATCH_ROWS = 256;

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Stage 1 of the run in {@code setup.runDir()}: reads what is there, samples what is missing from
   * {@code reference}, and returns stage 2's prompts with their V̂*.
   */
  static <D> OptimalValues<D> ensure(RunSetup<D> setup, Qwen2Model reference, PrintStream out)
      throws IOException {
    RunConfig cfg = setup.config();
    AStarPo a = cfg.rl().astar();
    int n = a.samples();
    List<Problem<D>> pool = setup.trainProblems(Seeds.ASTAR_PROMPTS, 1, a.prompts());
    Path valuesFile = setup.runDir().resolve(VALUES_FILE);
    Path costFile = setup.runDir().resolve(STAGE1_FILE);
    List<double[]> rewards = new ArrayList<>(); // null entry: a failed reward request
    List<Long> tokens = new ArrayList<>();
    List<Integer> successes = new ArrayList<>();
    Cost cost = new Cost(0, 0, 0, 0);
    if (Files.isRegularFile(valuesFile)) {
      readValues(valuesFile, pool, n, rewards, tokens, successes);
      if (Files.isRegularFile(costFile)) cost = readCost(costFile);
    }
    int perBatch = Math.max(1, BATCH_ROWS / n);
    if (rewards.size() < pool.size()) {
      out.printf(
          "A*-PO stage 1: %d samples of pi_ref for each of %d training prompts%s%n",
          n, pool.size(), rewards.isEmpty() ? "" : " (resuming after " + rewards.size() + ")");
    }
    RunConfig.Sampling s = cfg.sampling();
    Sampler sampler = new Sampler(reference, setup.folder().samplableVocab(), s.decodeMode());
    while (rewards.size() < pool.size()) {
      int from = rewards.size();
      int to = Math.min(pool.size(), from + perBatch);
      long t0 = System.nanoTime();
      List<Problem<D>> batch = pool.subList(from, to);
      Rollout rollout;
      List<Scoring.Result> results;
      try (PointerScope scope = new PointerScope()) {
        List<int[]> ids = new ArrayList<>();
        for (Problem<D> p : batch) ids.add(setup.prompts().ids(p));
        SamplingParams sp =
            new SamplingParams(
                s.temperature(),
                s.topK(),
                s.topP(),
                false,
                s.maxNewTokens(),
                setup.folder().stopTokenIds(),
                Seeds.derive(cfg.seed(), Seeds.ASTAR_STAGE1, from / perBatch));
        rollout = sampler.generate(ids, n, sp);
        results = setup.scoreAll(batch, rollout.samples());
      }
      for (int p = 0; p < batch.size(); p++) {
        double[] r = new double[n];
        long len = 0;
        int solved = 0;
        boolean failed = false;
        for (int i = 0; i < n; i++) {
          Scoring.Result res = results.get(p * n + i);
          failed |= res.failed();
          if (!res.failed()) {
            r[i] = res.scored().outcome().reward();
            if (res.scored().outcome().success()) solved++;
          }
          len += rollout.samples().get(p * n + i).length();
        }
        rewards.add(failed ? null : r);
        tokens.add(len);
        successes.add(solved);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      cost =
          new Cost(
              cost.seconds() + seconds,
              cost.promptTokens() + rollout.promptTokens(),
              cost.completionTokens() + rollout.generatedTokens(),
              cost.samples() + (long) batch.size() * n);
      OptimalValues<D> sofar = of(pool, rewards, successes, a, cost);
      writeValues(valuesFile, pool, rewards, tokens, successes, a.beta1());
      writeCost(costFile, cost, a, pool.size(), rewards, sofar);
      out.printf(
          "A*-PO stage 1: %d/%d prompts | solved by pi_ref %.1f%% | %.0f s, %,d tokens generated%n",
          rewards.size(),
          pool.size(),
          100 * sofar.solvedShare(),
          cost.seconds(),
          cost.completionTokens());
    }
    return of(pool, rewards, successes, a, cost);
  }

  /** Stage 2's prompts and values from the pool's rewards (drop_unsolved applied). */
  static <D> OptimalValues<D> of(
      List<Problem<D>> pool,
      List<double[]> rewards,
      List<Integer> successes,
      AStarPo a,
      Cost cost) {
    List<Problem<D>> kept = new ArrayList<>();
    List<Double> values = new ArrayList<>();
    int solved = 0;
    int valued = 0;
    for (int i = 0; i < rewards.size(); i++) {
      double[] r = rewards.get(i);
      if (r == null) continue;
      valued++;
      boolean anySuccess = successes.get(i) > 0;
      if (anySuccess) solved++;
      if (a.dropUnsolved() && !anySuccess) continue;
      kept.add(pool.get(i));
      values.add(AStarPo.optimalValue(r, a.beta1()));
    }
    return new OptimalValues<>(
        List.copyOf(kept),
        values.stream().mapToDouble(Double::doubleValue).toArray(),
        cost,
        valued == 0 ? 0 : (double) solved / valued);
  }

  /**
   * The {@code b} pool indices of stage-2 step {@code step} (1-based): positions (step−1)·b …
   * step·b−1 of a sequence of epochs over the {@code size} prompts, each a shuffle seeded by (seed,
   * {@link Seeds#ASTAR_ORDER}, epoch); a pure function of its arguments, so resuming needs no
   * state.
   */
  static int[] batch(long seed, long step, int b, int size) {
    int[] out = new int[b];
    long first = (step - 1) * (long) b;
    int[] perm = null;
    long permEpoch = -1;
    for (int j = 0; j < b; j++) {
      long pos = first + j;
      long epoch = pos / size;
      if (epoch != permEpoch) {
        perm = shuffle(size, Seeds.derive(seed, Seeds.ASTAR_ORDER, epoch));
        permEpoch = epoch;
      }
      out[j] = perm[(int) (pos % size)];
    }
    return out;
  }

  private static int[] shuffle(int size, long seed) {
    int[] p = new int[size];
    for (int i = 0; i < size; i++) p[i] = i;
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = size - 1; i > 0; i--) {
      int k = rnd.nextInt(i + 1);
      int t = p[i];
      p[i] = p[k];
      p[k] = t;
    }
    return p;
  }

  private static <D> void readValues(
      Path file,
      List<Problem<D>> pool,
      int n,
      List<double[]> rewards,
      List<Long> tokens,
      List<Integer> successes)
      throws IOException {
    List<String> lines = Files.readAllLines(file);
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) continue;
      JsonNode row;
      try {
        row = JSON.readTree(lines.get(i));
      } catch (IOException e) {
        throw new IOException(file + " line " + (i + 1) + ": not JSON: " + e.getMessage(), e);
      }
      int index = rewards.size();
      if (index >= pool.size() || !pool.get(index).id().equals(row.path("id").asText())) {
        throw new IOException(
            file
                + " line "
                + (i + 1)
                + ": prompt "
                + row.path("id").asText()
                + " is not prompt "
                + index
                + " of this run's rl.astar.prompts pool (was the config changed?); start a new run");
      }
      JsonNode r = row.path("rewards");
      if (r.isNull()) {
        rewards.add(null);
      } else {
        if (!r.isArray() || r.size() != n) {
          throw new IOException(
              file
                  + " line "
                  + (i + 1)
                  + ": 'rewards' must hold rl.astar.samples = "
                  + n
                  + " numbers (was the config changed?)");
        }
        double[] x = new double[n];
        for (int k = 0; k < n; k++) x[k] = r.get(k).asDouble();
        rewards.add(x);
      }
      tokens.add(row.path("completion_tokens").asLong());
      successes.add(row.path("successes").asInt());
    }
  }

  private static Cost readCost(Path file) throws IOException {
    JsonNode c;
    try {
      c = JSON.readTree(Files.readString(file));
    } catch (IOException e) {
      throw new IOException(file + ": not JSON: " + e.getMessage(), e);
    }
    return new Cost(
        c.path("seconds").asDouble(),
        c.path("prompt_tokens").asLong(),
        c.path("completion_tokens").asLong(),
        c.path("samples").asLong());
  }

  private static <D> void writeValues(
      Path file,
      List<Problem<D>> pool,
      List<double[]> rewards,
      List<Long> tokens,
      List<Integer> successes,
      double beta1)
      throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < rewards.size(); i++) {
      ObjectNode row = JSON.createObjectNode();
      row.put("index", i);
      row.put("id", pool.get(i).id());
      double[] r = rewards.get(i);
      if (r == null) {
        row.putNull("rewards");
        row.putNull("v_star");
      } else {
        ArrayNode arr = row.putArray("rewards");
        for (double x : r) arr.add(x);
        row.put("v_star", AStarPo.optimalValue(r, beta1));
      }
      row.put("successes", successes.get(i));
      row.put("completion_tokens", tokens.get(i));
      sb.append(JSON.writeValueAsString(row)).append('\n');
    }
    AtomicFiles.writeString(file, sb.toString());
  }

  private static <D> void writeCost(
      Path file, Cost cost, AStarPo a, int poolSize, List<double[]> rewards, OptimalValues<D> v)
      throws IOException {
    ObjectNode c = JSON.createObjectNode();
    c.put("prompts", poolSize);
    c.put("prompts_done", rewards.size());
    c.put("samples_per_prompt", a.samples());
    c.put("beta1", a.beta1());
    c.put("seconds", cost.seconds());
    c.put("prompt_tokens", cost.promptTokens());
    c.put("completion_tokens", cost.completionTokens());
    c.put("samples", cost.samples());
    c.put("solved_share", v.solvedShare());
    double sum = 0;
    long count = 0;
    int failed = 0;
    for (double[] r : rewards) {
      if (r == null) {
        failed++;
        continue;
      }
      for (double x : r) sum += x;
      count += r.length;
    }
    c.put("mean_reward", count == 0 ? 0 : sum / count);
    c.put("v_star_mean", Arrays.stream(v.values()).average().orElse(0));
    c.put("failed_prompts", failed);
    c.put("stage2_prompts", v.problems().size());
    AtomicFiles.writeString(
        file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c) + "\n");
  }
}
