package io.grpo4j.train;

import static io.grpo4j.metrics.MetricNames.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.config.RunConfig;
import io.grpo4j.config.TrainOptions;
import io.grpo4j.dist.DistGroup;
import io.grpo4j.eval.Episodes;
import io.grpo4j.eval.ScoredSample;
import io.grpo4j.eval.Scoring;
import io.grpo4j.generate.Rollout;
import io.grpo4j.generate.Sampler;
import io.grpo4j.generate.SamplingParams;
import io.grpo4j.metrics.MetricsLog;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.rl.AStarPo;
import io.grpo4j.rl.AdvantageMode;
import io.grpo4j.rl.Advantages;
import io.grpo4j.rl.Algorithm;
import io.grpo4j.rl.EntropyReward;
import io.grpo4j.rl.KlController;
import io.grpo4j.rl.KlPenalty;
import io.grpo4j.rl.LossAggregation;
import io.grpo4j.rl.Masked;
import io.grpo4j.rl.PolicyLoss;
import io.grpo4j.rl.Segments;
import io.grpo4j.rl.TokenCredit;
import io.grpo4j.rl.TruncatedImportance;
import io.grpo4j.task.Problem;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.MemoryStats;
import io.grpo4j.torch.Tensors;
import io.grpo4j.torch.Torch;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The GRPO loop. One step:
 *
 * <ol>
 *   <li>draw P prompts and sample G completions each from π_old (shared prefill);
 *   <li>score every completion: pref_t from the verifier's prefix scores, r_t = α·pref_t + β·H_t;
 *   <li>advantages A_t, group-relative ({@code rl.advantage.mode}: one of {@link AdvantageMode});
 *   <li>μ epochs: L = clipped surrogate(ρ_t, A_t) + λ_F·KL(π_θ‖π_ref) + λ_R·KL(π_ref‖π_θ),
 *       gradients accumulated over micro-batches, clipped, one AdamW step per epoch;
 *   <li>metrics and samples; held-out evaluation and checkpoints on the {@link TrainLoop}'s
 *       schedule.
 * </ol>
 *
 * <p>With LoRA ({@code model.lora.r} &gt; 0) the policy is the frozen base plus adapters; only the
 * adapters have gradients and AdamW state, π_ref is the base with the adapters off (the same
 * weights, no second model), and rollouts sample through the current adapters ({@link
 * WorkingWeights#rollout}).
 *
 * <p>With {@code rl.algorithm=astar_po} ({@link AStarPo}) the run starts with A*-PO's stage 1
 * ({@link OptimalValues}: V̂* of a fixed pool of prompts from π_ref, once, resumable; its generated
 * tokens count in {@code tokens/generated_total} and {@code train.max_generated_tokens}), and each
 * step samples one completion for each of P prompts of that pool and minimises the regression
 * (β2·Σ_t log π_θ/π_ref − (r − V̂*))² instead of steps 3–4 (no advantages, clip or KL penalty; the
 * exact KL to π_ref is still measured).
 *
 * <p>On W data-parallel ranks ({@link DataParallel}) each rank does steps 1–3 on its P/W prompts,
 * divides its loss by the counts of all ranks and sums gradients over ranks before the optimizer
 * step, so the update is that of one process on the whole batch; rank 0 alone writes files.
 */
public final class GrpoTrainer<D> {
  private final RunSetup<D> setup;
  private final RunConfig cfg;
  private final Qwen2Model policy;
  private final Qwen2Model reference;
  private final AdamW optimizer;
  private final List<Tensor> params;
  private final Advantages advantages;
  private final EntropyReward entropyReward;
  private final PolicyLoss policyLoss;
  private final KlPenalty kl;
  private final Algorithm algorithm;

  /** A*-PO's stage 1 (its prompts and V̂*), set when {@link #train} starts; null for GRPO. */
  private OptimalValues<D> optimal;

  /** Scales λ_F and λ_R together when rl.kl.target &gt; 0; null when the weights are fixed. */
  private final KlController klScale;

  private final LrSchedule schedule;
  private final PrintStream out;
  private final WorkingWeights weights;
  private final TrainOptions options;
  private final NonFiniteGuard guard;
  private final DataParallel dp;
  private final TrainLoop loop;

  /** Multi-turn episodes against the task's environment ({@code env:}); null for single-turn. */
  private final Episodes<D> episodes;

  /**
   * The token ids that end a step of an answer (tree branch points, Monte-Carlo cuts); null when
   * the advantage mode needs none.
   */
  private final Set<Integer> cutTokens;

  /** Tokens generated so far by the run, all ranks (train.max_generated_tokens counts them). */
  private long generatedTotal;

  /**
   * A rank of a data-parallel job ({@link DataParallel}; {@link DistGroup#single()} for one
   * process): rank 0's weights are copied to every rank here, so all start identical.
   *
   * @param policy the trainable weights (f32 master copy), already restored when resuming; with
   *     LoRA, the frozen base with the adapters ({@link Qwen2Model#withLora}), of which only the
   *     adapters train
   * @param reference π_ref, frozen; null when both KL weights are 0 (with LoRA: {@code
   *     policy.base()}, the same weights without the adapters; never null with A*-PO)
   */
  public GrpoTrainer(
      RunSetup<D> setup,
      Qwen2Model policy,
      Qwen2Model reference,
      PrintStream out,
      DistGroup group) {
    this.setup = setup;
    this.cfg = setup.config();
    this.policy = policy;
    this.reference = reference;
    this.out = out;
    policy.setRequiresGrad(true);
    this.params = new ArrayList<>(policy.trainableParameters().values());
    this.dp = new DataParallel(group, params, (long) cfg.distributed().bucketMb() << 20);
    dp.share(cfg.data().promptsPerStep(), "data.prompts_per_step");
    dp.broadcastWeights();
    RunConfig.Train t = cfg.train();
    this.optimizer = Optimizers.adamW(params, t.lr(), t.beta1(), t.beta2(), t.weightDecay());
    RunConfig.Rl rl = cfg.rl();
    this.advantages = rl.advantage();
    this.entropyReward = rl.entropy();
    this.policyLoss = new PolicyLoss(rl.clip().low(), rl.clip().high(), rl.aggregation());
    if (rl.tisCap() != null && !cfg.sampling().samplesFromPolicy()) {
      throw new IllegalArgumentException(
          "rl.tis_cap needs sampling from the policy (sampling.top_p 1 and sampling.top_k 0):"
              + " otherwise the rollout's log-probs are not those of π");
    }
    this.algorithm = rl.algorithm();
    if (algorithm == Algorithm.ASTAR_PO) {
      if (reference == null) throw new IllegalArgumentException("A*-PO needs π_ref");
      if (group.worldSize() > 1) {
        throw new IllegalArgumentException(
            "rl.algorithm=astar_po runs in one process (stage 1 is not sharded over ranks yet)");
      }
    }
    // A*-PO's regression is its own trust region: the KL weights only apply to GRPO
    this.kl =
        algorithm == Algorithm.ASTAR_PO
            ? new KlPenalty(0, 0, rl.kl().estimator())
            : new KlPenalty(rl.kl().forward(), rl.kl().reverse(), rl.kl().estimator());
    this.klScale =
        algorithm == Algorithm.GRPO && rl.kl().target() > 0
            ? new KlController(
                1.0, rl.kl().target(), rl.kl().horizon(), rl.kl().minFactor(), rl.kl().maxFactor())
            : null;
    this.schedule = new LrSchedule(t.lr(), t.warmupSteps(), t.steps(), false, 1.0);
    DType compute = DType.resolve(cfg.model().dtype(), cfg.model().device());
    RunConfig.Lora lora = cfg.model().lora();
    this.weights =
        lora.enabled()
            ? WorkingWeights.lora(policy, lora.rollout().equals("merged"))
            : cfg.model().offloadOptimizer()
                ? WorkingWeights.offloaded(policy, compute, Torch.device(cfg.model().device()))
                : WorkingWeights.of(policy, compute);
    this.options = cfg.model().trainOptions();
    this.guard = new NonFiniteGuard(t.maxSkippedSteps(), out);
    AdvantageMode mode = rl.advantage().mode();
    this.cutTokens =
        algorithm == Algorithm.GRPO
                && (mode == AdvantageMode.TREE || mode == AdvantageMode.MC_PREFIX)
            ? SegmentCuts.tokens(
                setup.folder().tokenizer(),
                setup.folder().samplableVocab(),
                setup.task().segmentDelimiter(),
                setup.folder().stopTokenIds())
            : null;
    this.loop = loop();
    this.episodes = Episodes.of(setup.task(), setup.prompts(), setup.folder());
  }

  public AdamW optimizer() {
    return optimizer;
  }

  /** Restores what a checkpoint's trainer_state.json holds beyond the weights and optimizer. */
  public void restore(JsonNode state) {
    if (klScale != null && state.has("kl_scale")) klScale.reset(state.path("kl_scale").asDouble());
    generatedTotal = state.path("generated_tokens").asLong(0);
  }

  /**
   * Tokens generated before this trainer's first step that the run's budget counts (e.g. an offline
   * stage that sampled from π_ref).
   */
  public void addGeneratedTokens(long tokens) {
    generatedTotal += tokens;
  }

  /** The KL weights in force this step: the configured ones, times the controller's factor. */
  private KlPenalty klNow() {
    return klScale == null ? kl : kl.scaled(klScale.value());
  }

  /**
   * Runs steps {@code firstStep..train.steps} (or until the time or generated-token budget);
   * returns the last step done.
   */
  public long train(long firstStep) throws IOException {
    if (algorithm == Algorithm.ASTAR_PO && optimal == null) {
      optimal = OptimalValues.ensure(setup, reference, out);
      // stage 1's samples count in the run's generated tokens; a resumed run's checkpoint already
      // holds them (they were added before its first step)
      if (firstStep == 1) addGeneratedTokens(optimal.cost().completionTokens());
    }
    return loop.run(firstStep);
  }

  /** A complete checkpoint of {@code step}. */
  void save(long step) throws IOException {
    loop.save(step);
  }

  /** The GRPO side of the {@link TrainLoop}. */
  private TrainLoop loop() {
    RunConfig.Train t = cfg.train();
    TrainLoop.Schedule schedule =
        new TrainLoop.Schedule(t.steps(), t.evalEvery(), t.saveEvery(), t.budgetMinutes(), true);
    return new TrainLoop(
        setup,
        dp,
        guard,
        out,
        schedule,
        new TrainLoop.Trainer() {
          @Override
          public String kind() {
            return "grpo";
          }

          @Override
          public Map<String, Object> step(long step, MetricsLog samples) throws IOException {
            return GrpoTrainer.this.step(step, samples);
          }

          @Override
          public Qwen2Model evaluated() {
            // LoRA: the rollout model (merged or on the fly); offloaded: the master is in host
            // memory, evaluate its copy on the device
            if (cfg.model().lora().enabled()) return weights.rollout();
            return cfg.model().offloadOptimizer() ? weights.compute() : policy;
          }

          @Override
          public Qwen2Model saved() {
            return policy;
          }

          @Override
          public AdamW optimizer() {
            return optimizer;
          }

          @Override
          public String progress(
              long step, Map<String, Object> row, boolean evaluated, boolean first) {
            return row.containsKey(REWARD_MEAN)
                ? progressText(row, evaluated)
                : "no update: every group's reward request failed";
          }

          @Override
          public void addState(ObjectNode state) {
            state.put("model_init", cfg.model().init());
            if (klScale != null) state.put("kl_scale", klScale.value());
            state.put("generated_tokens", generatedTotal);
          }

          @Override
          public String budgetSpent() {
            // the generated tokens are summed over ranks in the row, so every rank agrees
            long budget = cfg.train().maxGeneratedTokens();
            return budget > 0 && generatedTotal >= budget
                ? String.format(
                    "generated-token budget of %,d reached (%,d tokens)", budget, generatedTotal)
                : null;
          }
        });
  }

  private static String progressText(Map<String, Object> row, boolean evalNow) {
    int failures = (int) row.get(REWARD_FAILURES);
    return String.format(
            "reward %.3f | success %.1f%% | kl %.4f/%.4f | H %.3f | %.0f tok/s%s",
            (double) row.get(REWARD_MEAN),
            100 * (double) row.get(SUCCESS_RATE),
            (double) row.get(KL_FORWARD),
            (double) row.get(KL_REVERSE),
            (double) row.get(ENTROPY),
            (double) row.get(TOKENS_PER_S),
            evalNow
                ? String.format(" | eval success %.1f%%", 100 * (double) row.get(EVAL_SUCCESS_RATE))
                : "")
        + (failures > 0
            ? String.format(
                " | %d reward failures, %d groups dropped",
                failures, (int) row.get(REWARD_DROPPED_GROUPS))
            : "");
  }

  /** One GRPO step of this rank; returns its metrics row (reduced over ranks). */
  Map<String, Object> step(long step, MetricsLog samplesLog) throws IOException {
    return update(step, rollout(step, dp.rank(), dp.worldSize()), samplesLog);
  }

  /**
   * One rank's rollouts of a step, scored.
   *
   * @param scored the rank's completions, G per prompt, in prompt order
   * @param promptTokens prompt tokens sampled from (each prompt once per row)
   * @param completionTokens completion tokens sampled
   * @param seconds time taken
   * @param failures reward requests that failed (their groups are not in {@code scored})
   * @param droppedGroups groups left out of the step because of a failed request
   * @param firstFailure the first failure's reason, or null
   * @param fracZeroStdDrawn with dynamic sampling, the share of drawn groups whose rewards were all
   *     equal (before dropping them); NaN without
   * @param generatedTokens tokens the model decoded for this step: each shared tree prefix once,
   *     Monte-Carlo continuations included
   * @param segments the cuts (and for mc_prefix the values) of the scored rows, or null
   * @param mc the Monte-Carlo continuations' counts, or null
   * @param optimalValues A*-PO: V̂* of each row of {@code scored}; null for GRPO
   * @param env the episodes' environment statistics, null for single-turn rollouts
   */
  record Rollouts(
      List<ScoredSample> scored,
      long promptTokens,
      long completionTokens,
      double seconds,
      int failures,
      int droppedGroups,
      String firstFailure,
      double fracZeroStdDrawn,
      long generatedTokens,
      SegmentArrays segments,
      McPrefix.Values mc,
      double[] optimalValues,
      EnvStats env) {
    /** A single-turn GRPO step's rollouts: no A*-PO values, no environment. */
    Rollouts(
        List<ScoredSample> scored,
        long promptTokens,
        long completionTokens,
        double seconds,
        int failures,
        int droppedGroups,
        String firstFailure,
        double fracZeroStdDrawn,
        long generatedTokens,
        SegmentArrays segments,
        McPrefix.Values mc) {
      this(
          scored,
          promptTokens,
          completionTokens,
          seconds,
          failures,
          droppedGroups,
          firstFailure,
          fracZeroStdDrawn,
          generatedTokens,
          segments,
          mc,
          null,
          null);
    }
  }

  /**
   * Per scored row: where its segments start and, for mc_prefix, the values there (null for a
   * tree).
   */
  record SegmentArrays(long[][] starts, double[][] values) {}

  /**
   * What the environment did in one rank's rollouts of a step (summed over ranks for the metrics).
   *
   * @param episodes episodes played
   * @param turns model turns over all episodes
   * @param calls requests sent to the environment
   * @param callSeconds their summed latency
   * @param idleSeconds time the sampler had no row to decode, all waiting for replies
   * @param tokens tokens after the prompts (model and observations)
   * @param observationTokens of those, the environment's: masked out of the loss
   */
  record EnvStats(
      int episodes,
      long turns,
      long calls,
      double callSeconds,
      double idleSeconds,
      long tokens,
      long observationTokens) {
    static EnvStats of(Episodes.Batch b) {
      long turns = 0, tokens = 0, obs = 0;
      for (var s : b.rollout().samples()) {
        turns += s.turns();
        tokens += s.length();
        obs += s.length() - s.modelTokens();
      }
      return new EnvStats(
          b.results().size(),
          turns,
          b.envCalls(),
          b.envSeconds(),
          b.rollout().idleSeconds(),
          tokens,
          obs);
    }
  }

  /**
   * Steps 1–2 for shard {@code rank} of {@code worldSize}: the step's prompts are drawn as in a
   * single process and the shard takes its equal slice of them (whole groups); its completions are
   * sampled from π_old with a seed derived from (seed, step, rank) and scored.
   */
  Rollouts rollout(long step, int rank, int worldSize) {
    RunConfig.Rl rl = cfg.rl();
    int g = groupSize();
    long t0 = System.nanoTime();
    // 1. rollouts from π_old
    int wanted = cfg.data().promptsPerStep(); // a multiple of worldSize (checked at start)
    // ⌈oversample·P⌉ rounded up to whole shares, so that every drawn prompt lands on a rank
    int drawn =
        optimal != null
            ? wanted
            : (int) Math.ceil(Math.ceil(cfg.data().oversample() * wanted) / worldSize) * worldSize;
    List<Problem<D>> all =
        optimal != null
            ? astarProblems(step, wanted)
            : setup.trainProblems(Seeds.TRAIN_PROBLEMS, step, drawn);
    int per = all.size() / worldSize;
    List<Problem<D>> problems = all.subList(rank * per, (rank + 1) * per);
    RunConfig.Sampling s = cfg.sampling();
    SamplingParams sp =
        new SamplingParams(
            s.temperature(),
            s.topK(),
            s.topP(),
            false,
            s.maxNewTokens(),
            setup.folder().stopTokenIds(),
            DataParallel.rankSeed(Seeds.derive(cfg.seed(), Seeds.ROLLOUT, step), rank, worldSize));
    // A*-PO samples one i.i.d. completion per prompt whatever the advantage mode says
    AdvantageMode mode = optimal != null ? AdvantageMode.SEQUENCE : rl.advantage().mode();
    Sampler sampler = null;
    Rollout rollout = null;
    List<Scoring.Result> results;
    long promptTokens;
    long completionTokens;
    long generated;
    EnvStats env = null;
    if (episodes != null) {
      // multi-turn: each sample is an episode, its reward the environment's; a failed episode's
      // group leaves the step as a failed reward request does (tree and mc_prefix credit and A*-PO
      // are refused with env: at config time)
      Episodes.Batch b =
          episodes.run(
              weights.rollout(), problems, g, sp, "s" + step + (worldSize > 1 ? "r" + rank : ""));
      results = b.results();
      promptTokens = b.rollout().promptTokens();
      env = EnvStats.of(b);
      completionTokens = env.tokens();
      generated = env.tokens() - env.observationTokens(); // observations are prefilled, not decoded
      episodes.checkFailures(b);
    } else {
      List<int[]> promptIds = new ArrayList<>();
      for (Problem<D> p : problems) promptIds.add(setup.prompts().ids(p));
      sampler = new Sampler(weights.rollout(), setup.folder().samplableVocab(), s.decodeMode());
      rollout =
          mode == AdvantageMode.TREE
              ? sampler.generateTree(promptIds, s.treeShape(cutTokens), sp)
              : sampler.generate(promptIds, g, sp);
      // 2. scores: the whole step in one judge call
      results = setup.scoreAll(problems, rollout.samples());
      promptTokens = rollout.promptTokens();
      completionTokens = rollout.completionTokens();
      generated = rollout.generatedTokens();
    }
    // a group with a failed reward request leaves the step (a failure is not a reward), counted
    // in reward/failures
    RewardFailures judged = RewardFailures.of(results, g);
    List<ScoredSample> scored = judged.kept();
    double[] values = null;
    if (optimal != null) { // V̂* of each kept row (g = 1: a row is a prompt)
      int[] index = astarIndices(step, wanted);
      values = new double[scored.size()];
      int k = 0;
      for (int i = 0; i < results.size(); i++) {
        if (!results.get(i).failed()) values[k++] = optimal.values()[index[i]];
      }
    }
    double fracZeroStdDrawn = Double.NaN;
    // DAPO dynamic sampling: train on groups whose rewards differ (none left: no update, below)
    if (drawn > wanted && !scored.isEmpty()) {
      double[] rewards = scored.stream().mapToDouble(x -> x.outcome().reward()).toArray();
      fracZeroStdDrawn = Advantages.fracZeroStdGroups(Tensors.doubles(rewards), g);
      scored = DynamicSampling.keep(scored, g, wanted / worldSize);
    }
    SegmentArrays segments = null;
    McPrefix.Values mc = null;
    if (mode == AdvantageMode.TREE || mode == AdvantageMode.MC_PREFIX) {
      // the scored rows are new Sample records (renumbered groups), but their completion arrays
      // are the rollout's: they find each row's rollout row (a leaf copied into its finished
      // subtree is one array, with one set of cuts)
      Map<int[], Integer> rowOf = new IdentityHashMap<>();
      for (int i = 0; i < rollout.samples().size(); i++) {
        rowOf.put(rollout.samples().get(i).completionIds(), i);
      }
      int[] origin = new int[scored.size()];
      for (int i = 0; i < origin.length; i++) {
        Integer o = rowOf.get(scored.get(i).sample().completionIds());
        if (o == null) throw new IllegalStateException("a scored row lost its rollout row");
        origin[i] = o;
      }
      if (mode == AdvantageMode.TREE) {
        long[][] starts = new long[scored.size()][];
        for (int i = 0; i < starts.length; i++) {
          starts[i] =
              Arrays.stream(rollout.segmentStarts().get(origin[i])).asLongStream().toArray();
        }
        segments = new SegmentArrays(starts, null);
      } else if (!scored.isEmpty()) {
        List<Problem<D>> rowProblems = new ArrayList<>(scored.size());
        for (int o : origin) rowProblems.add(problems.get(rollout.samples().get(o).promptIndex()));
        mc = McPrefix.estimate(setup, sampler, rowProblems, scored, s.mcSamples(), sp, cutTokens);
        generated += mc.generatedTokens();
        segments = new SegmentArrays(mc.starts(), mc.values());
      }
    }
    return new Rollouts(
        scored,
        promptTokens,
        completionTokens,
        (System.nanoTime() - t0) / 1e9,
        judged.failures(),
        judged.droppedGroups(),
        judged.firstFailure(),
        fracZeroStdDrawn,
        generated,
        segments,
        mc,
        values,
        env);
  }

  /** Completions per prompt: G, or 1 for A*-PO's stage 2. */
  private int groupSize() {
    return algorithm == Algorithm.ASTAR_PO ? 1 : cfg.rl().groupSize();
  }

  /** A*-PO stage 2's prompts of a step: {@link OptimalValues#batch} of the stage-1 pool. */
  private List<Problem<D>> astarProblems(long step, int n) {
    List<Problem<D>> out = new ArrayList<>(n);
    for (int i : astarIndices(step, n)) out.add(optimal.problems().get(i));
    return out;
  }

  private int[] astarIndices(long step, int n) {
    return OptimalValues.batch(cfg.seed(), step, n, optimal.problems().size());
  }

  /** Reward requests of a step that failed, and the groups they took out (summed over ranks). */
  private record Failed(double requests, double groups) {}

  /**
   * The batch of all ranks as the loss normalises by it: its size under the aggregation, tokens.
   */
  private record BatchSize(double size, double tokens) {}

  /** The slowest rank's seconds. */
  private record Seconds(double rollout, double train) {}

  /**
   * A step's sums over its completions, summed over ranks field by field; the metrics are ratios of
   * them.
   *
   * @param zeroStdGroups groups whose G rewards are all equal
   * @param forwardPositions sequence positions the training forward computed
   * @param forwardPositionsUnshared those it would compute without shared prompts
   * @param generatedTokens tokens decoded for the step (shared tree prefixes once, Monte-Carlo
   *     continuations included)
   */
  private record StepSums(
      double completions,
      double rewards,
      double squaredRewards,
      double successes,
      double entropy,
      double advantages,
      double absAdvantages,
      double promptTokens,
      double completionTokens,
      double zeroStdGroups,
      double groups,
      double forwardPositions,
      double forwardPositionsUnshared,
      double generatedTokens) {}

  /**
   * One epoch's sums over its micro-batches: the loss terms as the optimizer saw them (each
   * micro-batch weighted by its share of the batch), the KL means, the clipped tokens, and (when
   * sampling from the policy) |log π_sampler − log π_θ| summed over the valid tokens it was
   * measured on.
   *
   * @param logRatio A*-PO: mean over rows of Σ_t log π_θ/π_ref (0 for GRPO)
   * @param residualSq A*-PO: mean squared residual β2·log-ratio − (r − V̂*) (0 for GRPO)
   */
  private record EpochSums(
      double policyLoss,
      double totalLoss,
      double klForward,
      double klReverse,
      double clipTokens,
      double tokens,
      double logRatio,
      double residualSq,
      double mismatch,
      double mismatchTokens) {
    static final EpochSums ZERO = new EpochSums(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    EpochSums plus(EpochSums o) {
      return new EpochSums(
          policyLoss + o.policyLoss,
          totalLoss + o.totalLoss,
          klForward + o.klForward,
          klReverse + o.klReverse,
          clipTokens + o.clipTokens,
          tokens + o.tokens,
          logRatio + o.logRatio,
          residualSq + o.residualSq,
          mismatch + o.mismatch,
          mismatchTokens + o.mismatchTokens);
    }
  }

  /**
   * What {@link #runEpoch} returns: its sums, and the largest |log π_sampler − log π_θ| on a valid
   * token (a maximum, reduced over ranks by max, so not one of the sums).
   */
  private record Epoch(EpochSums sums, double mismatchMax) {}

  /**
   * What every epoch of a step trains on: the micro-batches with their π_old log-probs and
   * advantages, the KL weights of the step, and the batch of all ranks the loss is normalised by;
   * for A*-PO its per-row regression inputs instead of the advantages' role ({@code astar}, null
   * for GRPO).
   */
  private record EpochInput(
      List<RolloutBatch> micro,
      List<Tensor> oldLogProbs,
      List<Tensor> advantages,
      KlPenalty kl,
      BatchSize batch,
      AStarRows astar) {}

  /**
   * Steps 3–5 on this rank's rollouts: advantages within each group, the loss of every micro-batch
   * weighted by its share of the <em>global</em> batch (all ranks), gradients summed over ranks,
   * one optimizer step per epoch, metrics summed over ranks.
   */
  Map<String, Object> update(long step, Rollouts ro, MetricsLog samplesLog) throws IOException {
    RunConfig.Rl rl = cfg.rl();
    int g = groupSize();
    boolean astar = ro.optimalValues() != null;
    List<ScoredSample> scored = ro.scored();
    Failed failed = dp.sum(new Failed(ro.failures(), ro.droppedGroups()));
    long t1 = System.nanoTime();
    // a step in which some rank kept no group makes no update on any rank (collectives stay paired)
    if (dp.max(scored.isEmpty() ? 1 : 0) > 0) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put(STEP, step);
      row.put(REWARD_FAILURES, (int) failed.requests());
      row.put(REWARD_DROPPED_GROUPS, (int) failed.groups());
      row.put(TIME_ROLLOUT_S, dp.max(ro.seconds()));
      generatedTotal += (long) dp.sum(ro.generatedTokens());
      row.put(TOKENS_GENERATED_TOTAL, generatedTotal);
      row.put(SKIPPED_STEPS, 1);
      envMetrics(row, ro, failed);
      out.printf(
          "step %d: every group had a failed reward request (%s); no update%n",
          step, ro.firstFailure());
      return row;
    }
    RolloutBatch batch = RolloutBatch.of(scored, weights.compute().device());
    List<int[]> plan =
        options.sharePrompt()
            ? MicroBatches.byPrompt(batch.rowLengths(), batch.promptOf(), rl.microBatch())
            : MicroBatches.byLength(batch.rowLengths(), rl.microBatch());
    List<RolloutBatch> micro = plan.stream().map(batch::select).toList();
    // 3. rewards and advantages (A*-PO: r − V̂*, its regression target, broadcast for the logs)
    Tensor r = entropyReward.tokenRewards(batch.prefixReward(), batch.entropy(), batch.mask());
    AStarRows astarRows = astar ? AStarRows.of(scored, ro.optimalValues(), plan) : null;
    // episodes: the credit modes see each row's model tokens only (observations are context)
    Advantages.Result adv =
        astar
            ? astarRows.advantages(batch.mask())
            : rl.tokenMask()
                .apply(
                    batch
                        .modelTokens()
                        .advantages(
                            advantages,
                            r,
                            batch,
                            g,
                            segments(ro.segments(), batch),
                            successes(scored, batch)),
                    batch.entropy(),
                    batch.mask());
    // 4. μ epochs of the clipped surrogate + KL (A*-PO: of its regression, which needs no π_old)
    // Episodes: π_old is recomputed. Which rows share a decode step depends on when the
    // environment's replies arrive, and that moves the last bits of the sampler's log-probs (not
    // its tokens); recomputed, the update depends on the episodes only, so a resumed run repeats
    // it.
    boolean rolloutIsPiOld =
        rl.epochs() == 1 && cfg.sampling().samplesFromPolicy() && episodes == null;
    // TIS at μ = 1: π_old is the trainer's log-prob at θ_old, which the first (and only) epoch's
    // forward pass computes anyway (runEpoch takes it detached: null here)
    List<Tensor> oldLogProbs =
        rl.tisCap() != null && rl.epochs() == 1 && !astar
            ? null
            : rolloutIsPiOld || astar
                ? micro.stream().map(RolloutBatch::oldLogProbs).toList()
                : currentLogProbs(micro);
    double lr = schedule.at((int) step);
    Optimizers.setLr(optimizer, lr);
    KlPenalty klStep = klNow();
    BatchSize all =
        dp.sum(
            new BatchSize(
                astar ? batch.mask().size(0) : policyLoss.aggregation().size(batch.mask()),
                Masked.count(batch.mask()).item_double()));
    EpochInput input =
        new EpochInput(
            micro,
            oldLogProbs,
            MicroBatches.split(adv.advantages(), plan, micro),
            klStep,
            all,
            astarRows);
    EpochSums sums = EpochSums.ZERO;
    Epoch first = null; // the KL and mismatch before any update: the first epoch's
    double gradNorms = 0;
    int skipped = 0;
    for (int epoch = 0; epoch < rl.epochs(); epoch++) {
      optimizer.zero_grad();
      Epoch e =
          runEpoch(
              input,
              Seeds.derive(Seeds.derive(cfg.seed(), Seeds.LORA_DROPOUT, step), epoch, dp.rank()));
      if (first == null) first = e;
      sums = sums.plus(e.sums());
      weights.gradientsToMaster();
      dp.allReduceGradients();
      double gradNorm = Optimizers.clipGradNorm(params, cfg.train().gradClip());
      gradNorms += gradNorm;
      if (guard.isFinite(step, dp.sum(e.sums().totalLoss()), gradNorm)) {
        optimizer.step();
      } else {
        optimizer.zero_grad(); // the update is skipped: neither weights nor moments see it
        skipped++;
      }
      weights.refresh();
    }
    // Sums over all ranks (identity in one process): the losses and clipped tokens over the
    // epochs, the KL and the log-prob mismatch of the first (θ not yet moved: π_θ = π_old).
    EpochSums loss =
        dp.sum(
            new EpochSums(
                sums.policyLoss(),
                sums.totalLoss(),
                first.sums().klForward(),
                first.sums().klReverse(),
                sums.clipTokens(),
                sums.tokens(),
                first.sums().logRatio(),
                first.sums().residualSq(),
                first.sums().mismatch(),
                first.sums().mismatchTokens()));
    double mismatchMax = dp.max(first.mismatchMax());
    // The controller sees this step's KL (measured before the update) and sets next step's weights.
    if (klScale != null) klScale.update(loss.klForward(), 1);
    long t2 = System.nanoTime();
    if (cfg.train().samplesPerStep() > 0 && samplesLog != null) {
      logSamples(samplesLog, step, scored, adv.advantages(), r);
    }
    // 5. metrics
    double[] rewards = scored.stream().mapToDouble(x -> x.outcome().reward()).toArray();
    double validTokens = all.tokens();
    StepSums m =
        dp.sum(
            new StepSums(
                rewards.length,
                java.util.Arrays.stream(rewards).sum(),
                java.util.Arrays.stream(rewards).map(x -> x * x).sum(),
                scored.stream().filter(x -> x.outcome().success()).count(),
                Masked.sum(batch.entropy(), batch.mask()).item_double(),
                adv.tokenMean() * Masked.count(batch.mask()).item_double(),
                adv.tokenAbsMean() * Masked.count(batch.mask()).item_double(),
                ro.promptTokens(),
                ro.completionTokens(),
                Advantages.fracZeroStdGroups(Tensors.doubles(rewards), g) * (rewards.length / g),
                rewards.length / g,
                MicroBatches.forwardPositions(
                    micro, options.sharePrompt() && !options.gradientCheckpointing()),
                MicroBatches.forwardPositions(micro, false),
                ro.generatedTokens()));
    Seconds slowest = dp.max(new Seconds(ro.seconds(), (t2 - t1) / 1e9));
    double n = m.completions();
    double mean = m.rewards() / n;
    // sample variance from the sums: (Σr² − n·mean²) / (n − 1), never below 0 by rounding
    double var = Math.max(0, (m.squaredRewards() - n * mean * mean) / Math.max(1, n - 1));
    Map<String, Object> row = new LinkedHashMap<>();
    row.put(STEP, step);
    row.put(REWARD_MEAN, mean);
    row.put(REWARD_STD, Math.sqrt(var));
    row.put(REWARD_FAILURES, (int) failed.requests());
    row.put(REWARD_DROPPED_GROUPS, (int) failed.groups());
    row.put(SUCCESS_RATE, m.successes() / n);
    row.put(KL_FORWARD, loss.klForward());
    row.put(KL_REVERSE, loss.klReverse());
    row.put(KL_LAMBDA_FORWARD, klStep.lambdaForward());
    row.put(KL_LAMBDA_REVERSE, klStep.lambdaReverse());
    row.put(ENTROPY, m.entropy() / validTokens);
    row.put(ADV_TOKEN_MEAN, m.advantages() / validTokens);
    row.put(ADV_TOKEN_ABS_MEAN, m.absAdvantages() / validTokens);
    // where credit goes, on this rank's batch (rank 0's in a data-parallel run)
    boolean countdownSteps =
        "countdown".equals(cfg.task().name()) && "steps".equals(cfg.task().format());
    row.putAll(
        CreditMetrics.of(
            adv.advantages(), batch.entropy(), batch.mask(), scored, g, countdownSteps));
    if (astar) { // one sample per prompt: no groups; A*-PO's own terms instead
      row.remove("frac_all_success_groups");
      row.remove("frac_all_fail_groups");
      row.put(ASTAR_V_STAR_MEAN, Arrays.stream(ro.optimalValues()).average().orElse(0));
      row.put(ASTAR_ADVANTAGE_MEAN, Arrays.stream(astarRows.advantage()).average().orElse(0));
      row.put(ASTAR_LOG_RATIO_MEAN, loss.logRatio());
      row.put(ASTAR_RESIDUAL_RMS, Math.sqrt(loss.residualSq()));
      row.put(ASTAR_STAGE1_S, optimal.cost().seconds());
      row.put(ASTAR_STAGE1_TOKENS, optimal.cost().completionTokens());
      row.put(ASTAR_STAGE1_PROMPT_TOKENS, optimal.cost().promptTokens());
    }
    row.put(LOSS_POLICY, loss.policyLoss() / rl.epochs());
    row.put(LOSS_TOTAL, loss.totalLoss() / rl.epochs());
    row.put(CLIP_RATIO, loss.clipTokens() / Math.max(1.0, loss.tokens()));
    if (loss.mismatchTokens() > 0) { // sampled from the policy: the sampler's log-probs are of π
      row.put(LOGPROB_MISMATCH_MEAN, loss.mismatch() / loss.mismatchTokens());
      row.put(LOGPROB_MISMATCH_MAX, mismatchMax);
    }
    row.put(GRAD_NORM, gradNorms / rl.epochs());
    row.put(LR, lr);
    row.put(COMPLETION_LEN_MEAN, m.completionTokens() / n);
    generatedTotal += (long) m.generatedTokens();
    row.put(TOKENS_GENERATED, (long) m.generatedTokens());
    row.put(TOKENS_GENERATED_TOTAL, generatedTotal);
    row.put(TOKENS_PROMPT, (long) m.promptTokens());
    double[] nonZero = TokenCredit.nonZeroShares(adv.advantages(), batch.mask(), g);
    row.put(ADV_NONZERO_TOKEN_SHARE, nonZero[0]);
    row.put(ADV_NONZERO_GROUP_SHARE, nonZero[1]);
    if (ro.mc() != null) {
      row.put(MC_PREFIX_CONTINUATIONS, ro.mc().continuations());
      row.put(MC_PREFIX_SAMPLED_CUTS, ro.mc().sampledCuts());
      row.put(MC_PREFIX_KNOWN_CUTS, ro.mc().knownCuts());
      row.put(MC_PREFIX_TOKENS, ro.mc().generatedTokens());
    }
    if (!astar) row.put(FRAC_ZERO_STD_GROUPS, m.zeroStdGroups() / m.groups());
    if (!Double.isNaN(ro.fracZeroStdDrawn())) {
      row.put(DYNAMIC_FRAC_ZERO_STD_DRAWN, ro.fracZeroStdDrawn());
      row.put(DYNAMIC_GROUPS_KEPT, (int) m.groups());
    }
    row.put(TIME_ROLLOUT_S, slowest.rollout());
    row.put(TIME_TRAIN_S, slowest.train());
    row.put(
        TOKENS_PER_S,
        (m.promptTokens() + m.completionTokens()) / (slowest.rollout() + slowest.train()));
    // batch shape diagnostics: rank 0's micro-batches (the positions are summed over ranks)
    row.put(BATCH_PADDING_FRAC, MicroBatches.paddingFraction(micro));
    row.put(BATCH_PADDING_FRAC_UNBUCKETED, MicroBatches.paddingFraction(batch));
    row.put(BATCH_FORWARD_POSITIONS, m.forwardPositions());
    row.put(BATCH_FORWARD_POSITIONS_UNSHARED, m.forwardPositionsUnshared());
    row.put(SKIPPED_STEPS, skipped);
    envMetrics(row, ro, failed);
    row.putAll(MemoryStats.row());
    return row;
  }

  /** The rows' segments as tensors on the batch's device, or null without any. */
  private Segments segments(SegmentArrays a, RolloutBatch batch) {
    if (a == null) return null;
    Device device = batch.mask().device();
    int b = a.starts().length;
    int width = b == 0 ? 0 : a.starts()[0].length;
    Tensor starts =
        width == 0
            ? torch.zeros(new long[] {b, 0}, Tensors.options(DType.I64, device))
            : Tensors.longs(a.starts()).to(device, torch.ScalarType.Long);
    if (a.values() == null) {
      return Segments.tree(
          starts, cfg.sampling().tree().widths().stream().mapToInt(Integer::intValue).toArray());
    }
    double[] flat = new double[b * width];
    for (int i = 0; i < b; i++) System.arraycopy(a.values()[i], 0, flat, i * width, width);
    Tensor values =
        width == 0
            ? torch.zeros(new long[] {b, 0}, Tensors.options(DType.F32, device))
            : Tensors.doubles(flat).reshape(b, width).to(device, torch.ScalarType.Float);
    return Segments.measured(starts, values);
  }

  /** 1 where a row's completion solved its problem, [B], for the validator fallback. */
  private Tensor successes(List<ScoredSample> scored, RolloutBatch batch) {
    if (!(advantages.fallbackWeight() > 0)) return null;
    double[] v = new double[scored.size()];
    for (int i = 0; i < v.length; i++) v[i] = scored.get(i).outcome().success() ? 1 : 0;
    return Tensors.doubles(v).to(batch.mask().device(), torch.ScalarType.Float);
  }

  /** A step's environment sums (episodes, model turns, calls, seconds, tokens), over ranks. */
  private record EnvSums(
      double episodes,
      double turns,
      double calls,
      double callSeconds,
      double tokens,
      double observationTokens) {}

  /**
   * The environment's metrics of a step, summed over ranks: {@code env/turns_mean} (model turns per
   * episode), {@code env/calls}, {@code env/call_s_mean} (mean latency of a request), {@code
   * env/time_s} (summed latency), {@code env/idle_s} (the slowest rank's time with no row to
   * decode), {@code env/masked_frac} (observation tokens over all tokens after the prompts: the
   * share the loss masks out) and {@code env/failures} (failed episodes). Nothing for single-turn
   * runs.
   */
  private void envMetrics(Map<String, Object> row, Rollouts ro, Failed failed) {
    EnvStats e = ro.env();
    if (e == null) return;
    EnvSums x =
        dp.sum(
            new EnvSums(
                e.episodes(),
                e.turns(),
                e.calls(),
                e.callSeconds(),
                e.tokens(),
                e.observationTokens()));
    row.put(ENV_TURNS_MEAN, x.turns() / Math.max(1, x.episodes()));
    row.put(ENV_CALLS, (long) x.calls());
    row.put(ENV_CALL_S_MEAN, x.callSeconds() / Math.max(1, x.calls()));
    row.put(ENV_TIME_S, x.callSeconds());
    row.put(ENV_IDLE_S, dp.max(e.idleSeconds()));
    row.put(ENV_MASKED_FRAC, x.observationTokens() / Math.max(1, x.tokens()));
    row.put(ENV_FAILURES, (int) failed.requests());
  }

  /**
   * Forward + backward over all micro-batches of {@code in}. Each micro-batch's loss is scaled by
   * its share of the batch ({@link LossAggregation#microBatchWeight}) — the batch of all ranks — so
   * the accumulated gradient, summed over ranks, equals that of the whole-batch loss under the
   * chosen aggregation. Returns this rank's sums (the KL terms only with a reference, the log-prob
   * mismatch only when sampling from the policy). With {@code in.oldLogProbs()} null (TIS at μ = 1)
   * π_old is this pass's own log π_θ, detached. {@code dropoutSeed} seeds LoRA's dropout masks
   * (micro-batch i draws from its own seed derived from it).
   */
  private Epoch runEpoch(EpochInput in, long dropoutSeed) {
    LossAggregation agg = policyLoss.aggregation();
    long c = cfg.sampling().maxNewTokens(); // Dr.GRPO's fixed C (rl.aggregation = constant)
    double totalTokens = in.batch().tokens();
    double policy = 0;
    double total = 0;
    double klForward = 0;
    double klReverse = 0;
    double clipTokens = 0;
    double tokens = 0;
    double logRatio = 0;
    double residualSq = 0;
    double mismatch = 0;
    double mismatchTokens = 0;
    double mismatchMax = 0;
    for (int i = 0; i < in.micro().size(); i++) {
      RolloutBatch m = in.micro().get(i);
      try (PointerScope scope = new PointerScope()) {
        Tensor mask = m.mask();
        TrainingPass pass =
            m.trainingPass(
                weights.compute().training(Seeds.derive(dropoutSeed, Seeds.LORA_DROPOUT, i)),
                options,
                reference,
                in.kl(),
                cfg.sampling().temperature(),
                in.astar() != null);
        if (in.astar() != null) {
          EpochSums a = astarMicroBatch(pass, mask, in.astar(), i, in.batch());
          policy += a.policyLoss();
          total += a.totalLoss();
          klForward += a.klForward();
          klReverse += a.klReverse();
          tokens += a.tokens();
          logRatio += a.logRatio();
          residualSq += a.residualSq();
          continue;
        }
        Tensor trainOld = pass.logProbs().detach(); // log π_θ; π_old in the first epoch
        Tensor old = in.oldLogProbs() == null ? trainOld : in.oldLogProbs().get(i);
        // TIS: w_t = min(π_old/π_sampler, C) on the policy term (rl.TruncatedImportance)
        Tensor tis =
            cfg.rl().tisCap() == null
                ? null
                : TruncatedImportance.weights(old, m.oldLogProbs(), cfg.rl().tisCap());
        PolicyLoss.Result pl =
            policyLoss.compute(pass.logProbs(), old, in.advantages().get(i), mask, c, tis);
        if (cfg.sampling().samplesFromPolicy()) { // update() reads the first epoch's
          Tensor gap = TruncatedImportance.mismatch(trainOld, m.oldLogProbs());
          mismatch += Masked.sum(gap, mask).item_double();
          mismatchTokens += Masked.count(mask).item_double();
          mismatchMax =
              Math.max(mismatchMax, gap.mul(mask.to(gap.scalar_type())).max().item_double());
        }
        KlPenalty.Terms kl = pass.kl();
        double w = agg.microBatchWeight(mask, in.batch().size());
        // L = policyLoss + λ_F·KL_fwd + λ_R·KL_rev (aggregated), times the micro-batch's share w
        Tensor loss = pl.loss().add(agg.reduce(in.kl().perToken(kl), mask, c)).mul(new Scalar(w));
        pass.backward(loss);

        double mbTokens = Masked.count(mask).item_double();
        if (reference != null) {
          klForward += Masked.sum(kl.forward().detach(), mask).item_double() / totalTokens;
          klReverse += Masked.sum(kl.reverse().detach(), mask).item_double() / totalTokens;
        }
        policy += pl.loss().item_double() * w;
        total += loss.item_double();
        clipTokens += pl.clipRatio() * mbTokens;
        tokens += mbTokens;
      }
    }
    return new Epoch(
        new EpochSums(
            policy,
            total,
            klForward,
            klReverse,
            clipTokens,
            tokens,
            logRatio,
            residualSq,
            mismatch,
            mismatchTokens),
        mismatchMax);
  }

  /**
   * A*-PO's regression on micro-batch {@code i} ({@link AStarPo#loss}), weighted by its share of
   * the batch's rows; the exact KL to π_ref is measured, not penalised. Returns its sums.
   */
  private EpochSums astarMicroBatch(
      TrainingPass pass, Tensor mask, AStarRows rows, int i, BatchSize batch) {
    Tensor logProbs = pass.logProbs();
    AStarPo.Result ar =
        cfg.rl()
            .astar()
            .loss(
                logProbs,
                pass.refLogProbs(),
                mask,
                Tensors.doubles(rows.rewards().get(i))
                    .to(logProbs.device(), logProbs.scalar_type()),
                Tensors.doubles(rows.values().get(i))
                    .to(logProbs.device(), logProbs.scalar_type()));
    double w = mask.size(0) / batch.size();
    Tensor loss = ar.loss().mul(new Scalar(w));
    pass.backward(loss);
    KlPenalty.Terms kl = pass.kl();
    return new EpochSums(
        ar.loss().item_double() * w,
        loss.item_double(),
        Masked.sum(kl.forward().detach(), mask).item_double() / batch.tokens(),
        Masked.sum(kl.reverse().detach(), mask).item_double() / batch.tokens(),
        0,
        Masked.count(mask).item_double(),
        ar.logRatio().sum().item_double() / batch.size(),
        ar.residual().square().sum().item_double() / batch.size(),
        0,
        0);
  }

  /**
   * A*-PO's per-row inputs of a step, split like the micro-batches: the reward r_i and V̂*(x_i) of
   * each row.
   */
  record AStarRows(List<double[]> rewards, List<double[]> values, double[] advantage) {
    static AStarRows of(List<ScoredSample> scored, double[] optimalValues, List<int[]> plan) {
      double[] adv = new double[scored.size()];
      for (int j = 0; j < adv.length; j++) {
        adv[j] = scored.get(j).outcome().reward() - optimalValues[j];
      }
      List<double[]> r = new ArrayList<>();
      List<double[]> v = new ArrayList<>();
      for (int[] rowsOf : plan) {
        double[] ri = new double[rowsOf.length];
        double[] vi = new double[rowsOf.length];
        for (int k = 0; k < rowsOf.length; k++) {
          ri[k] = scored.get(rowsOf[k]).outcome().reward();
          vi[k] = optimalValues[rowsOf[k]];
        }
        r.add(ri);
        v.add(vi);
      }
      return new AStarRows(r, v, adv);
    }

    /** r_i − V̂*(x_i) on every valid token of row i, for the logs and the credit metrics. */
    Advantages.Result advantages(Tensor mask) {
      Tensor m = mask.to(torch.ScalarType.Float);
      float[] f = new float[advantage.length];
      for (int i = 0; i < f.length; i++) f[i] = (float) advantage[i];
      Tensor a = Tensors.floats(f).to(m.device(), torch.ScalarType.Float).unsqueeze(1);
      Tensor perToken = a.mul(m);
      double tokens = Math.max(1, Masked.count(m).item_double());
      return new Advantages.Result(
          perToken,
          Masked.sum(perToken, m).item_double() / tokens,
          Masked.sum(perToken.abs(), m).item_double() / tokens);
    }
  }

  /**
   * log π_θ of the sampled tokens under the current weights, without gradient (π_old for μ > 1),
   * per micro-batch.
   */
  private List<Tensor> currentLogProbs(List<RolloutBatch> micro) {
    List<Tensor> parts = new ArrayList<>();
    try (NoGradGuard ng = new NoGradGuard()) {
      for (RolloutBatch m : micro) {
        Tensor hidden = m.completionHidden(weights.compute(), options.sharePrompt());
        parts.add(
            ChunkedHead.logProbs(
                    weights.compute(),
                    hidden,
                    m.completion(),
                    m.mask(),
                    options.logitsChunk(),
                    cfg.sampling().temperature())
                .terms()
                .logProbs()
                .detach());
      }
    }
    return parts;
  }

  private void logSamples(
      MetricsLog log, long step, List<ScoredSample> scored, Tensor adv, Tensor r)
      throws IOException {
    int keep = Math.min(cfg.train().samplesPerStep(), scored.size());
    float[] advAll = Tensors.toFloats(adv);
    float[] rAll = Tensors.toFloats(r);
    int width = (int) adv.size(1);
    for (int i = 0; i < keep; i++) { // the first rows: whole groups, so baselines can be read
      ScoredSample s = scored.get(i);
      int len = s.sample().length();
      List<String> pieces = new ArrayList<>(len);
      for (int id : s.sample().completionIds())
        pieces.add(setup.folder().tokenizer().decode(new int[] {id}));
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("step", step);
      row.put("index", i);
      row.put("group", i / groupSize());
      row.put("prompt", setup.folder().tokenizer().decode(s.sample().promptIds()));
      row.put("completion", s.text());
      row.put("reward", s.outcome().reward());
      row.put("success", s.outcome().success());
      row.put("reason", s.outcome().reason());
      row.put("tokens", pieces);
      row.put("token_ids", s.sample().completionIds());
      row.put("token_rewards", java.util.Arrays.copyOfRange(rAll, i * width, i * width + len));
      row.put("token_advantages", java.util.Arrays.copyOfRange(advAll, i * width, i * width + len));
      row.put("logprobs", s.sample().logprobs());
      row.put("entropies", s.sample().entropies());
      if (s.sample().fromModel() != null) { // an episode: which tokens the environment wrote
        boolean[] observation = new boolean[len];
        for (int k = 0; k < len; k++) observation[k] = !s.sample().isModelToken(k);
        row.put("observation", observation);
        row.put("turns", s.sample().turns());
      }
      log.append(row);
    }
  }
}
