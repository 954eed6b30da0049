package io.grpo4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.eval.EvalReport;
import io.grpo4j.eval.ScoredSample;
import io.grpo4j.generate.Rollout;
import io.grpo4j.generate.Sampler;
import io.grpo4j.generate.SamplingParams;
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

  /**
   * @param policy the trainable weights (f32 master copy), already restored when resuming
   * @param reference π_ref, frozen; null when both KL weights are 0
   */
  public GrpoTrainer(RunSetup<D> setup, Qwen2Model policy, Qwen2Model reference, PrintStream out) {
    this.setup = setup;
    this.cfg = setup.config();
    this.policy = policy;
    this.reference = reference;
    this.out = out;
    policy.setRequiresGrad(true);
    this.params = new ArrayList<>(policy.parameters().values());
    RunConfig.Train t = cfg.train();
    this.optimizer = Optimizers.adamW(params, t.lr(), t.beta1(), t.beta2(), t.weightDecay());
    RunConfig.Rl rl = cfg.rl();
    this.advantages = rl.advantage().toAdvantages();
    this.entropyReward = rl.entropy().toReward();
    this.policyLoss = new PolicyLoss(rl.clip().low(), rl.clip().high(), rl.aggregation());
    this.kl = new KlPenalty(rl.kl().forward(), rl.kl().reverse(), rl.kl().estimator());
    this.klScale =
        rl.kl().target() > 0
            ? new KlController(
                1.0, rl.kl().target(), rl.kl().horizon(), rl.kl().minFactor(), rl.kl().maxFactor())
            : null;
    this.schedule = new LrSchedule(t.lr(), t.warmupSteps(), t.steps(), false, 1.0);
    this.weights = WorkingWeights.of(policy, DType.parse(cfg.model().dtype()));
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
    try (MetricsLog metrics = new MetricsLog(run.resolve("metrics.jsonl"));
        MetricsLog samples = new MetricsLog(run.resolve("samples.jsonl"))) {
      for (long step = firstStep; step <= t.steps(); step++) {
        Map<String, Object> row;
        try (PointerScope scope = new PointerScope()) {
          row = step(step, samples);
        }
        boolean evalNow = t.evalEvery() > 0 && step % t.evalEvery() == 0;
        boolean outOfTime = System.nanoTime() > deadline;
        boolean lastStep = step == t.steps() || outOfTime;
        if (evalNow) {
          EvalReport e = setup.evaluate(policy, null);
          row.put("eval/success_rate", e.successRate());
          row.put("eval/reward_per_prompt", e.rewardPerPrompt());
          row.put("eval/mean_len", e.meanLength());
        }
        metrics.append(row);
        progress.line(
            step,
            String.format(
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
                    : ""));
        last = step;
        if ((step % t.saveEvery() == 0 || lastStep) && guard.consecutive() == 0) save(step);
        if (outOfTime && step < t.steps()) {
          out.printf(
              "time budget of %.1f min reached after step %d; saved, resume with: grpo4j train --resume %s%n",
              t.budgetMinutes(), step, run);
          break;
        }
      }
    }
    return last;
  }

  void save(long step) throws IOException {
    ObjectNode state = Checkpoints.state("grpo", setup);
    state.put("model_init", cfg.model().init());
    if (klScale != null) state.put("kl_scale", klScale.value());
    Checkpoints.save(
        setup.runDir(),
        step,
        policy,
        DType.parse(cfg.model().saveDtype()),
        setup.folder(),
        optimizer,
        state);
  }

  /** One GRPO step; returns its metrics row. */
  Map<String, Object> step(long step, MetricsLog samplesLog) throws IOException {
    RunConfig.Rl rl = cfg.rl();
    int g = rl.groupSize();
    long t0 = System.nanoTime();
    // 1. rollouts from π_old
    int wanted = cfg.data().promptsPerStep();
    int drawn = (int) Math.ceil(cfg.data().oversample() * wanted);
    List<Problem<D>> problems =
        setup.trainProblems(Seeds.derive(cfg.seed(), Seeds.TRAIN_PROBLEMS, step), drawn);
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
            Seeds.derive(cfg.seed(), Seeds.ROLLOUT, step));
    Rollout rollout =
        new Sampler(weights.compute(), setup.folder().samplableVocab()).generate(promptIds, g, sp);
    // 2. scores
    List<ScoredSample> scored = new ArrayList<>(rollout.samples().size());
    for (int i = 0; i < rollout.samples().size(); i++) {
      scored.add(setup.score(problems.get(i / g), rollout.samples().get(i)));
    }
    double fracZeroStdDrawn = Double.NaN;
    if (drawn > wanted) { // DAPO dynamic sampling: train on groups whose rewards differ
      double[] all = scored.stream().mapToDouble(x -> x.outcome().reward()).toArray();
      fracZeroStdDrawn = Advantages.fracZeroStdGroups(io.grpo4j.torch.Tensors.doubles(all), g);
      scored = DynamicSampling.keep(scored, g, wanted);
    }
    long t1 = System.nanoTime();
    RolloutBatch batch = RolloutBatch.of(scored, policy.device());
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
    boolean rolloutIsPiOld = rl.epochs() == 1 && s.samplesFromPolicy();
    List<Tensor> oldLogProbs =
        rolloutIsPiOld
            ? micro.stream().map(RolloutBatch::oldLogProbs).toList()
            : currentLogProbs(micro);
    double lr = schedule.at((int) step);
    Optimizers.setLr(optimizer, lr);
    EpochTotals totals = new EpochTotals();
    KlPenalty klStep = klNow();
    int skipped = 0;
    for (int epoch = 0; epoch < rl.epochs(); epoch++) {
      optimizer.zero_grad();
      double lossBefore = totals.totalLoss;
      runEpoch(
          batch,
          micro,
          oldLogProbs,
          MicroBatches.split(adv.advantages(), plan, micro),
          klStep,
          totals,
          epoch == 0);
      weights.gradientsToMaster();
      double gradNorm = Optimizers.clipGradNorm(params, cfg.train().gradClip());
      totals.gradNorm += gradNorm;
      if (guard.isFinite(step, totals.totalLoss - lossBefore, gradNorm)) {
        optimizer.step();
      } else {
        optimizer.zero_grad(); // the update is skipped: neither weights nor moments see it
        skipped++;
      }
      weights.refresh();
    }
    // The controller sees this step's KL (measured before the update) and sets next step's weights.
    if (klScale != null) klScale.update(totals.klForward, 1);
    long t2 = System.nanoTime();
    if (cfg.train().samplesPerStep() > 0) logSamples(samplesLog, step, scored, adv.advantages(), r);
    // 5. metrics
    double[] rewards = scored.stream().mapToDouble(x -> x.outcome().reward()).toArray();
    double mean = 0;
    for (double x : rewards) mean += x / rewards.length;
    double var = 0;
    for (double x : rewards) var += (x - mean) * (x - mean) / Math.max(1, rewards.length - 1);
    long tokens = rollout.promptTokens() + rollout.completionTokens();
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("step", step);
    row.put("reward/mean", mean);
    row.put("reward/std", Math.sqrt(var));
    row.put(
        "success_rate",
        scored.stream().filter(x -> x.outcome().success()).count() / (double) scored.size());
    row.put("kl/forward", totals.klForward);
    row.put("kl/reverse", totals.klReverse);
    row.put("kl/lambda_forward", klStep.lambdaForward());
    row.put("kl/lambda_reverse", klStep.lambdaReverse());
    row.put("entropy", Masked.mean(batch.entropy(), batch.mask()).item_double());
    row.put("adv/token_mean", adv.tokenMean());
    row.put("adv/token_abs_mean", adv.tokenAbsMean());
    boolean countdownSteps =
        "countdown".equals(cfg.task().name()) && "steps".equals(cfg.task().format());
    row.putAll(
        CreditMetrics.of(
            adv.advantages(), batch.entropy(), batch.mask(), scored, g, countdownSteps));
    row.put("loss/policy", totals.policyLoss / rl.epochs());
    row.put("loss/total", totals.totalLoss / rl.epochs());
    row.put("clip_ratio", totals.clipTokens / Math.max(1.0, totals.tokens));
    row.put("grad_norm", totals.gradNorm / rl.epochs());
    row.put("lr", lr);
    row.put(
        "completion_len/mean",
        scored.stream().mapToInt(x -> x.sample().length()).average().orElse(0));
    row.put(
        "frac_zero_std_groups",
        Advantages.fracZeroStdGroups(io.grpo4j.torch.Tensors.doubles(rewards), g));
    if (drawn > wanted) {
      row.put("dynamic_sampling/frac_zero_std_drawn", fracZeroStdDrawn);
      row.put("dynamic_sampling/groups_kept", scored.size() / g);
    }
    row.put("time/rollout_s", (t1 - t0) / 1e9);
    row.put("time/train_s", (t2 - t1) / 1e9);
    row.put("tokens_per_s", tokens / ((t2 - t0) / 1e9));
    row.put("batch/padding_frac", MicroBatches.paddingFraction(micro));
    row.put("batch/padding_frac_unbucketed", MicroBatches.paddingFraction(batch));
    row.put(
        "batch/forward_positions",
        MicroBatches.forwardPositions(
            micro, passes.sharePrompt() && !passes.gradientCheckpointing()));
    row.put("batch/forward_positions_unshared", MicroBatches.forwardPositions(micro, false));
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
   * share of the batch ({@link LossAggregation#microBatchWeight}), so the accumulated gradient
   * equals that of the whole-batch loss under the chosen aggregation.
   */
  private void runEpoch(
      RolloutBatch b,
      List<RolloutBatch> micro,
      List<Tensor> oldLogProbs,
      List<Tensor> advantages,
      KlPenalty klStep,
      EpochTotals totals,
      boolean firstEpoch) {
    LossAggregation agg = policyLoss.aggregation();
    long c = cfg.sampling().maxNewTokens(); // Dr.GRPO's fixed C (rl.aggregation = constant)
    double totalTokens = Masked.count(b.mask()).item_double();
    for (int i = 0; i < micro.size(); i++) {
      RolloutBatch m = micro.get(i);
      try (PointerScope scope = new PointerScope()) {
        Tensor mask = m.mask();
        TrainingPass pass = m.trainingPass(weights.compute(), passes, reference, klStep);
        PolicyLoss.Result pl =
            policyLoss.compute(pass.logProbs(), oldLogProbs.get(i), advantages.get(i), mask, c);
        KlPenalty.Terms kl = pass.kl();
        double w = agg.microBatchWeight(mask, b.mask());
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
                    false,
                    passes.logitsChunk())
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
    int stride = Math.max(1, scored.size() / keep);
    float[] advAll = io.grpo4j.torch.Tensors.toFloats(adv);
    float[] rAll = io.grpo4j.torch.Tensors.toFloats(r);
    int width = (int) adv.size(1);
    for (int k = 0; k < keep; k++) {
      int i = k * stride;
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
      log.append(row);
    }
  }
}
