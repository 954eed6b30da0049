package io.grpo4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.config.RunConfig;
import io.grpo4j.config.TrainOptions;
import io.grpo4j.dist.DistGroup;
import io.grpo4j.eval.ScoredSample;
import io.grpo4j.generate.Rollout;
import io.grpo4j.generate.Sampler;
import io.grpo4j.generate.SamplingParams;
import io.grpo4j.metrics.MetricsLog;
import io.grpo4j.metrics.Progress;
import io.grpo4j.metrics.TensorBoardLog;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.rl.Advantages;
import io.grpo4j.rl.EntropyReward;
import io.grpo4j.rl.KlController;
import io.grpo4j.rl.KlPenalty;
import io.grpo4j.rl.LossAggregation;
import io.grpo4j.rl.Masked;
import io.grpo4j.rl.PolicyLoss;
import io.grpo4j.task.Problem;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Torch;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * The GRPO loop. One step:
 *
 * <ol>
 *   <li>draw P prompts and sample G completions each from π_old (shared prefill);
 *   <li>score every completion: pref_t from the verifier's prefix scores, r_t = α·pref_t + β·H_t;
 *   <li>advantages A_t, group-relative (token_relative, sequence or return_to_go);
 *   <li>μ epochs: L = clipped surrogate(ρ_t, A_t) + λ_F·KL(π_θ‖π_ref) + λ_R·KL(π_ref‖π_θ),
 *       gradients accumulated over micro-batches, clipped, one AdamW step per epoch;
 *   <li>metrics, samples, periodic evaluation and checkpoint.
 * </ol>
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

  /** Scales λ_F and λ_R together when rl.kl.target &gt; 0; null when the weights are fixed. */
  private final KlController klScale;

  private final LrSchedule schedule;
  private final PrintStream out;
  private final WorkingWeights weights;
  private final TrainOptions passes;
  private final NonFiniteGuard guard;
  private final DataParallel dp;

  /**
   * A rank of a data-parallel job ({@link DataParallel}; {@link DistGroup#single()} for one
   * process): rank 0's weights are copied to every rank here, so all start identical.
   *
   * @param policy the trainable weights (f32 master copy), already restored when resuming
   * @param reference π_ref, frozen; null when both KL weights are 0
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
    this.params = new ArrayList<>(policy.parameters().values());
    this.dp = new DataParallel(group, params, (long) cfg.distributed().bucketMb() << 20);
    dp.share(cfg.data().promptsPerStep(), "data.prompts_per_step");
    dp.broadcastWeights();
    RunConfig.Train t = cfg.train();
    this.optimizer = Optimizers.adamW(params, t.lr(), t.beta1(), t.beta2(), t.weightDecay());
    RunConfig.Rl rl = cfg.rl();
    this.advantages = rl.advantage();
    this.entropyReward = rl.entropy();
    this.policyLoss = new PolicyLoss(rl.clip().low(), rl.clip().high(), rl.aggregation());
    this.kl = new KlPenalty(rl.kl().forward(), rl.kl().reverse(), rl.kl().estimator());
    this.klScale =
        rl.kl().target() > 0
            ? new KlController(
                1.0, rl.kl().target(), rl.kl().horizon(), rl.kl().minFactor(), rl.kl().maxFactor())
            : null;
    this.schedule = new LrSchedule(t.lr(), t.warmupSteps(), t.steps(), false, 1.0);
    DType compute = DType.parse(cfg.model().dtype());
    this.weights =
        cfg.model().offloadOptimizer()
            ? WorkingWeights.offloaded(policy, compute, Torch.device(cfg.model().device()))
            : WorkingWeights.of(policy, compute);
    this.passes = cfg.model().trainOptions();
    this.guard = new NonFiniteGuard(t.maxSkippedSteps(), out);
  }

  public AdamW optimizer() {
    return optimizer;
  }

  /** Restores what a checkpoint's trainer_state.json holds beyond the weights and optimizer. */
  public void restore(JsonNode state) {
    if (klScale != null && state.has("kl_scale")) klScale.reset(state.path("kl_scale").asDouble());
  }

  /** The KL weights in force this step: the configured ones, times the controller's factor. */
  private KlPenalty klNow() {
    return klScale == null
        ? kl
        : new KlPenalty(
            kl.lambdaForward() * klScale.value(),
            kl.lambdaReverse() * klScale.value(),
            kl.estimator());
  }

  /**
   * Runs steps {@code firstStep..train.steps} (or until the time budget); returns the last step
   * done.
   */
  public long train(long firstStep) throws IOException {
    RunConfig.Train t = cfg.train();
    Path run = setup.runDir();
    long deadline =
        t.budgetMinutes() > 0
            ? System.nanoTime() + (long) (t.budgetMinutes() * 60e9)
            : Long.MAX_VALUE;
    Progress progress = new Progress(out, firstStep, t.steps());
    long last = firstStep - 1;
    // only rank 0 writes the run's files (null resources are skipped by try-with-resources)
    try (TensorBoardLog tb = TensorBoardLog.open(run, dp.isMain() && cfg.logging().tensorboard());
        MetricsLog metrics =
            dp.isMain() ? new MetricsLog(run.resolve("metrics.jsonl"), tb::metrics) : null;
        MetricsLog samples =
            dp.isMain() ? new MetricsLog(run.resolve("samples.jsonl"), tb::sample) : null) {
      for (long step = firstStep; step <= t.steps(); step++) {
        Map<String, Object> row;
        try (PointerScope scope = new PointerScope()) {
          row = step(step, samples);
        }
        boolean evalNow = t.evalEvery() > 0 && step % t.evalEvery() == 0;
        // every rank stops after the same step: out of time when any rank is
        boolean outOfTime = dp.max(System.nanoTime() > deadline ? 1 : 0)[0] > 0;
        boolean lastStep = step == t.steps() || outOfTime;
        if (evalNow) {
          // offloaded: the master is in host memory; evaluate its copy on the device
          Qwen2Model evaluated = cfg.model().offloadOptimizer() ? weights.compute() : policy;
          setup.evaluateInto(row, evaluated, dp);
        }
        last = step;
        if (!dp.isMain()) {
          if (outOfTime && step < t.steps()) break;
          continue;
        }
        metrics.append(row);
        if (!row.containsKey("reward/mean")) {
          progress.line(step, "no update: every group's reward request failed");
        } else {
          progress.line(step, progressText(row, evalNow));
        }
        if ((step % t.saveEvery() == 0 || lastStep) && guard.consecutive() == 0) save(step);
        if (outOfTime && step < t.steps()) {
          out.printf(
              "time budget of %.1f min reached after step %d; saved, resume with: grpo4j train --resume %s%n",
              t.budgetMinutes(), step, run);
          break;
        }
      }
    }
    dp.group().barrier(); // rank 0's last checkpoint is complete before any rank returns
    return last;
  }

  private static String progressText(Map<String, Object> row, boolean evalNow) {
    int failures = (int) row.get("reward/failures");
    return String.format(
            "reward %.3f | success %.1f%% | kl %.4f/%.4f | H %.3f | %.0f tok/s%s",
            (double) row.get("reward/mean"),
            100 * (double) row.get("success_rate"),
            (double) row.get("kl/forward"),
            (double) row.get("kl/reverse"),
            (double) row.get("entropy"),
            (double) row.get("tokens_per_s"),
            evalNow
                ? String.format(
                    " | eval success %.1f%%", 100 * (double) row.get("eval/success_rate"))
                : "")
        + (failures > 0
            ? String.format(
                " | %d reward failures, %d groups dropped",
                failures, (int) row.get("reward/dropped_groups"))
            : "");
  }

  void save(long step) throws IOException {
    ObjectNode state = Checkpoints.state("grpo", setup);
    state.put("model_init", cfg.model().init());
    if (klScale != null) state.put("kl_scale", klScale.value());
    state.put("world_size", dp.worldSize());
    Checkpoints.save(
        setup.runDir(),
        step,
        policy,
        DType.parse(cfg.model().saveDtype()),
        setup.folder(),
        optimizer,
        state);
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
   */
  record Rollouts(
      List<ScoredSample> scored,
      long promptTokens,
      long completionTokens,
      double seconds,
      int failures,
      int droppedGroups,
      String firstFailure,
      double fracZeroStdDrawn) {}

  /**
   * Steps 1–2 for shard {@code rank} of {@code worldSize}: the step's prompts are drawn as in a
   * single process and the shard takes its equal slice of them (whole groups); its completions are
   * sampled from π_old with a seed derived from (seed, step, rank) and scored.
   */
  Rollouts rollout(long step, int rank, int worldSize) {
    RunConfig.Rl rl = cfg.rl();
    int g = rl.groupSize();
    long t0 = System.nanoTime();
    // 1. rollouts from π_old
    int wanted = cfg.data().promptsPerStep(); // a multiple of worldSize (checked at start)
    // ⌈oversample·P⌉ rounded up to whole shares, so that every drawn prompt lands on a rank
    int drawn =
        (int) Math.ceil(Math.ceil(cfg.data().oversample() * wanted) / worldSize) * worldSize;
    List<Problem<D>> all = setup.trainProblems(Seeds.TRAIN_PROBLEMS, step, drawn);
    int per = all.size() / worldSize;
    List<Problem<D>> problems = all.subList(rank * per, (rank + 1) * per);
    List<int[]> promptIds = new ArrayList<>();
    for (Problem<D> p : problems) promptIds.add(setup.prompts().ids(p));
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
    Rollout rollout =
        new Sampler(weights.compute(), setup.folder().samplableVocab(), s.decodeMode())
            .generate(promptIds, g, sp);
    // 2. scores: the whole step in one judge call; a group with a failed reward request leaves
    // the step (a failure is not a reward), counted in reward/failures
    RewardFailures judged = RewardFailures.of(setup.scoreAll(problems, rollout.samples()), g);
    List<ScoredSample> scored = judged.kept();
    double fracZeroStdDrawn = Double.NaN;
    // DAPO dynamic sampling: train on groups whose rewards differ (none left: no update, below)
    if (drawn > wanted && !scored.isEmpty()) {
      double[] rewards = scored.stream().mapToDouble(x -> x.outcome().reward()).toArray();
      fracZeroStdDrawn = Advantages.fracZeroStdGroups(io.grpo4j.torch.Tensors.doubles(rewards), g);
      scored = DynamicSampling.keep(scored, g, wanted / worldSize);
    }
    return new Rollouts(
        scored,
        rollout.promptTokens(),
        rollout.completionTokens(),
        (System.nanoTime() - t0) / 1e9,
        judged.failures(),
        judged.droppedGroups(),
        judged.firstFailure(),
        fracZeroStdDrawn);
  }

  /**
   * Steps 3–5 on this rank's rollouts: advantages within each group, the loss of every micro-batch
   * weighted by its share of the <em>global</em> batch (all ranks), gradients summed over ranks,
   * one optimizer step per epoch, metrics summed over ranks.
   */
  Map<String, Object> update(long step, Rollouts ro, MetricsLog samplesLog) throws IOException {
    RunConfig.Rl rl = cfg.rl();
    int g = rl.groupSize();
    List<ScoredSample> scored = ro.scored();
    double[] failed = dp.global(ro.failures(), ro.droppedGroups());
    long t1 = System.nanoTime();
    // a step in which some rank kept no group makes no update on any rank (collectives stay paired)
    if (dp.max(scored.isEmpty() ? 1 : 0)[0] > 0) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("step", step);
      row.put("reward/failures", (int) failed[0]);
      row.put("reward/dropped_groups", (int) failed[1]);
      row.put("time/rollout_s", dp.max(ro.seconds())[0]);
      row.put("skipped_steps", 1);
      out.printf(
          "step %d: every group had a failed reward request (%s); no update%n",
          step, ro.firstFailure());
      return row;
    }
    RolloutBatch batch = RolloutBatch.of(scored, weights.compute().device());
    List<int[]> plan =
        passes.sharePrompt()
            ? MicroBatches.byPrompt(batch.rowLengths(), batch.promptOf(), rl.microBatch())
            : MicroBatches.byLength(batch.rowLengths(), rl.microBatch());
    List<RolloutBatch> micro = plan.stream().map(batch::select).toList();
    // 3. rewards and advantages
    Tensor r = entropyReward.tokenRewards(batch.pref(), batch.entropy(), batch.mask());
    Advantages.Result adv =
        advantages.compute(r, batch.mask(), batch.completion(), batch.entropy(), g);
    // 4. μ epochs of the clipped surrogate + KL
    boolean rolloutIsPiOld = rl.epochs() == 1 && cfg.sampling().samplesFromPolicy();
    List<Tensor> oldLogProbs =
        rolloutIsPiOld
            ? micro.stream().map(RolloutBatch::oldLogProbs).toList()
            : currentLogProbs(micro);
    double lr = schedule.at((int) step);
    Optimizers.setLr(optimizer, lr);
    EpochTotals totals = new EpochTotals();
    KlPenalty klStep = klNow();
    // the batch of all ranks: its size as the aggregation counts it, and its valid tokens
    double[] global =
        dp.global(
            policyLoss.aggregation().size(batch.mask()), Masked.count(batch.mask()).item_double());
    int skipped = 0;
    for (int epoch = 0; epoch < rl.epochs(); epoch++) {
      optimizer.zero_grad();
      double lossBefore = totals.totalLoss;
      runEpoch(
          micro,
          oldLogProbs,
          MicroBatches.split(adv.advantages(), plan, micro),
          klStep,
          totals,
          epoch == 0,
          global[0],
          global[1]);
      weights.gradientsToMaster();
      dp.allReduceGradients();
      double gradNorm = Optimizers.clipGradNorm(params, cfg.train().gradClip());
      totals.gradNorm += gradNorm;
      double epochLoss = dp.global(totals.totalLoss - lossBefore)[0];
      if (guard.isFinite(step, epochLoss, gradNorm)) {
        optimizer.step();
      } else {
        optimizer.zero_grad(); // the update is skipped: neither weights nor moments see it
        skipped++;
      }
      weights.refresh();
    }
    // Sums over all ranks (identity in one process): the loss and KL totals, then the metrics.
    double[] t =
        dp.global(
            totals.policyLoss,
            totals.totalLoss,
            totals.klForward,
            totals.klReverse,
            totals.clipTokens,
            totals.tokens);
    // The controller sees this step's KL (measured before the update) and sets next step's weights.
    if (klScale != null) klScale.update(t[2], 1);
    long t2 = System.nanoTime();
    if (cfg.train().samplesPerStep() > 0 && samplesLog != null) {
      logSamples(samplesLog, step, scored, adv.advantages(), r);
    }
    // 5. metrics
    double[] rewards = scored.stream().mapToDouble(x -> x.outcome().reward()).toArray();
    double validTokens = global[1];
    double[] m =
        dp.global(
            rewards.length,
            java.util.Arrays.stream(rewards).sum(),
            java.util.Arrays.stream(rewards).map(x -> x * x).sum(),
            scored.stream().filter(x -> x.outcome().success()).count(),
            Masked.sum(batch.entropy(), batch.mask()).item_double(),
            adv.tokenMean() * Masked.count(batch.mask()).item_double(),
            adv.tokenAbsMean() * Masked.count(batch.mask()).item_double(),
            ro.promptTokens(),
            ro.completionTokens(),
            Advantages.fracZeroStdGroups(io.grpo4j.torch.Tensors.doubles(rewards), g)
                * (rewards.length / g),
            rewards.length / g,
            MicroBatches.forwardPositions(
                micro, passes.sharePrompt() && !passes.gradientCheckpointing()),
            MicroBatches.forwardPositions(micro, false));
    double[] slowest = dp.max(ro.seconds(), (t2 - t1) / 1e9);
    double n = m[0];
    double mean = m[1] / n;
    // sample variance from the sums: (Σr² − n·mean²) / (n − 1), never below 0 by rounding
    double var = Math.max(0, (m[2] - n * mean * mean) / Math.max(1, n - 1));
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("step", step);
    row.put("reward/mean", mean);
    row.put("reward/std", Math.sqrt(var));
    row.put("reward/failures", (int) failed[0]);
    row.put("reward/dropped_groups", (int) failed[1]);
    row.put("success_rate", m[3] / n);
    row.put("kl/forward", t[2]);
    row.put("kl/reverse", t[3]);
    row.put("kl/lambda_forward", klStep.lambdaForward());
    row.put("kl/lambda_reverse", klStep.lambdaReverse());
    row.put("entropy", m[4] / validTokens);
    row.put("adv/token_mean", m[5] / validTokens);
    row.put("adv/token_abs_mean", m[6] / validTokens);
    // where credit goes, on this rank's batch (rank 0's in a data-parallel run)
    boolean countdownSteps =
        "countdown".equals(cfg.task().name()) && "steps".equals(cfg.task().format());
    row.putAll(
        CreditMetrics.of(
            adv.advantages(), batch.entropy(), batch.mask(), scored, g, countdownSteps));
    row.put("loss/policy", t[0] / rl.epochs());
    row.put("loss/total", t[1] / rl.epochs());
    row.put("clip_ratio", t[4] / Math.max(1.0, t[5]));
    row.put("grad_norm", totals.gradNorm / rl.epochs());
    row.put("lr", lr);
    row.put("completion_len/mean", m[8] / n);
    row.put("frac_zero_std_groups", m[9] / m[10]);
    if (!Double.isNaN(ro.fracZeroStdDrawn())) {
      row.put("dynamic_sampling/frac_zero_std_drawn", ro.fracZeroStdDrawn());
      row.put("dynamic_sampling/groups_kept", (int) (m[10]));
    }
    row.put("time/rollout_s", slowest[0]);
    row.put("time/train_s", slowest[1]);
    row.put("tokens_per_s", (m[7] + m[8]) / (slowest[0] + slowest[1]));
    // batch shape diagnostics: rank 0's micro-batches (the positions are summed over ranks)
    row.put("batch/padding_frac", MicroBatches.paddingFraction(micro));
    row.put("batch/padding_frac_unbucketed", MicroBatches.paddingFraction(batch));
    row.put("batch/forward_positions", m[11]);
    row.put("batch/forward_positions_unshared", m[12]);
    row.put("skipped_steps", skipped);
    row.putAll(io.grpo4j.torch.MemoryStats.row());
    return row;
  }

  /** Running sums over the micro-batches and epochs of one step. */
  private static final class EpochTotals {
    double policyLoss;
    double totalLoss;
    double klForward;
    double klReverse;
    double clipTokens;
    double tokens;
    double gradNorm;
  }

  /**
   * Forward + backward over all rows in micro-batches. Each micro-batch's loss is scaled by its
   * share of the batch ({@link LossAggregation#microBatchWeight}) — the batch of all ranks, of
   * {@code batchSize} and {@code totalTokens} valid tokens — so the accumulated gradient, summed
   * over ranks, equals that of the whole-batch loss under the chosen aggregation.
   */
  private void runEpoch(
      List<RolloutBatch> micro,
      List<Tensor> oldLogProbs,
      List<Tensor> advantages,
      KlPenalty klStep,
      EpochTotals totals,
      boolean firstEpoch,
      double batchSize,
      double totalTokens) {
    LossAggregation agg = policyLoss.aggregation();
    long c = cfg.sampling().maxNewTokens(); // Dr.GRPO's fixed C (rl.aggregation = constant)
    for (int i = 0; i < micro.size(); i++) {
      RolloutBatch m = micro.get(i);
      try (PointerScope scope = new PointerScope()) {
        Tensor mask = m.mask();
        TrainingPass pass =
            m.trainingPass(
                weights.compute(), passes, reference, klStep, cfg.sampling().temperature());
        PolicyLoss.Result pl =
            policyLoss.compute(pass.logProbs(), oldLogProbs.get(i), advantages.get(i), mask, c);
        KlPenalty.Terms kl = pass.kl();
        double w = agg.microBatchWeight(mask, batchSize);
        // L = policyLoss + λ_F·KL_fwd + λ_R·KL_rev (aggregated), times the micro-batch's share w
        Tensor loss = pl.loss().add(agg.reduce(klStep.perToken(kl), mask, c)).mul(new Scalar(w));
        pass.backward(loss);

        double mbTokens = Masked.count(mask).item_double();
        if (firstEpoch && reference != null) {
          totals.klForward += Masked.sum(kl.forward().detach(), mask).item_double() / totalTokens;
          totals.klReverse += Masked.sum(kl.reverse().detach(), mask).item_double() / totalTokens;
        }
        totals.policyLoss += pl.loss().item_double() * w;
        totals.totalLoss += loss.item_double();
        totals.clipTokens += pl.clipRatio() * mbTokens;
        totals.tokens += mbTokens;
      }
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
        Tensor hidden = m.completionHidden(weights.compute(), passes.sharePrompt());
        parts.add(
            new ChunkedHead(
                    weights.compute(),
                    hidden,
                    null,
                    null,
                    null,
                    m.completion(),
                    m.mask(),
                    passes.logitsChunk(),
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
    float[] advAll = io.grpo4j.torch.Tensors.toFloats(adv);
    float[] rAll = io.grpo4j.torch.Tensors.toFloats(r);
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
      row.put("group", i / cfg.rl().groupSize());
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
      log.append(row);
    }
  }
}
