package io.grpo4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.config.RunConfig;
import io.grpo4j.eval.DiffusionEvaluator;
import io.grpo4j.eval.EvalScores;
import io.grpo4j.eval.ScoredSample;
import io.grpo4j.eval.Scoring;
import io.grpo4j.generate.DiffusionRollout;
import io.grpo4j.generate.DiffusionSample;
import io.grpo4j.generate.DiffusionSampler;
import io.grpo4j.generate.Sample;
import io.grpo4j.metrics.MetricNames;
import io.grpo4j.metrics.MetricsLog;
import io.grpo4j.metrics.Progress;
import io.grpo4j.metrics.TensorBoardLog;
import io.grpo4j.model.MaskedDiffusionModel;
import io.grpo4j.rl.AdvantageMode;
import io.grpo4j.rl.Advantages;
import io.grpo4j.rl.DiffusionAdvantage;
import io.grpo4j.rl.DiffusionLikelihood;
import io.grpo4j.rl.KlController;
import io.grpo4j.rl.KlPenalty;
import io.grpo4j.rl.PolicyLoss;
import io.grpo4j.rl.StepAdvantages;
import io.grpo4j.rl.TokenLogProbs;
import io.grpo4j.task.Problem;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Ops;
import io.grpo4j.torch.Tensors;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * GRPO on a masked-diffusion policy (docs/diffusion.md): the same loop as {@link GrpoTrainer} — P
 * prompts × G completions from π_old, the task's verifier, group-relative advantages, the clipped
 * surrogate plus λ_F·KL(π‖π_ref) + λ_R·KL(π_ref‖π) exact over the vocabulary, AdamW, the KL
 * controller — with the generation process changed. What differs is confined to two seams:
 *
 * <ol>
 *   <li><b>sample a group</b>: {@link DiffusionSampler}, T denoising steps of L positions, in a
 *       random order (so E2 is exact) at temperature τ;
 *   <li><b>score log-likelihoods</b>: position k's log π_θ term ({@link DiffusionLikelihoods}) is
 *       E1 (one step from the all-[MASK] state, prompt masked at p) or E2 (k's own commit state);
 *       π_old is the sampler's log-prob (E2) or the current value detached (E1, μ = 1); the KL is
 *       taken at the same states as the log-probs.
 * </ol>
 *
 * and the advantage put on each position: A1 the sequence z-score ({@link Advantages}, sequence
 * mode), A2/A3 per-step deltas normalised per step across the group ({@link StepAdvantages}). The
 * per-position losses are weighted by {@link io.grpo4j.rl.LossAggregation#tokenWeights}, so E2's
 * step-by-step passes add up to the aggregated batch loss. Every step also measures what the
 * question "does it converge" needs: the cosine between the gradients of two disjoint half-batches
 * (gradient noise), the correlation of E1 with E2 over the batch's rows, the exact KL on a fixed
 * probe set ({@link DiffusionProbe}), clip fraction and zero-variance groups. One process; μ = 1.
 */
public final class DiffusionGrpoTrainer<D> {
  private final RunSetup<D> setup;
  private final RunConfig cfg;
  private final RunConfig.Diffusion d;
  private final MaskedDiffusionModel policy;
  private final MaskedDiffusionModel reference;
  private final AdamW optimizer;
  private final List<Tensor> params;
  private final Advantages sequence;
  private final StepAdvantages stepAdvantages;
  private final PolicyLoss policyLoss;
  private final KlPenalty kl;
  private final KlController klScale;
  private final LrSchedule schedule;
  private final PrintStream out;
  private final NonFiniteGuard guard;
  private final DiffusionProbe probe;

  /**
   * @param policy the trainable f32 weights, already restored when resuming
   * @param reference π_ref, frozen; null when both KL weights are 0
   */
  public DiffusionGrpoTrainer(
      RunSetup<D> setup,
      MaskedDiffusionModel policy,
      MaskedDiffusionModel reference,
      PrintStream out) {
    this.setup = setup;
    this.cfg = setup.config();
    this.d = cfg.diffusion();
    this.policy = policy;
    this.reference = reference;
    this.out = out;
    RunConfig.Rl rl = cfg.rl();
    require(
        rl.advantage().mode() == AdvantageMode.SEQUENCE,
        "rl.advantage.mode: a masked-diffusion run takes its advantage from diffusion.advantage"
            + " (sequence, step_delta, state_delta); leave rl.advantage.mode at sequence, got "
            + rl.advantage().mode().configName());
    require(
        rl.epochs() == 1,
        "rl.epochs: the masked-diffusion trainer takes one pass per batch (μ = 1), got "
            + rl.epochs());
    require(
        cfg.sampling().samplesFromPolicy(),
        "sampling.top_k/top_p: the masked-diffusion sampler draws from softmax(z/τ) itself; leave"
            + " top_k 0 and top_p 1");
    require(
        DType.parse(cfg.model().dtype()).equals(DType.F32),
        "model.dtype: the masked-diffusion trainers run in f32 only, got " + cfg.model().dtype());
    policy.setRequiresGrad(true);
    this.params = new ArrayList<>(policy.parameters().values());
    RunConfig.Train t = cfg.train();
    this.optimizer = Optimizers.adamW(params, t.lr(), t.beta1(), t.beta2(), t.weightDecay());
    this.sequence = rl.advantage();
    this.stepAdvantages = StepAdvantages.of(rl.advantage());
    this.policyLoss = new PolicyLoss(rl.clip().low(), rl.clip().high(), rl.aggregation());
    this.kl = new KlPenalty(rl.kl().forward(), rl.kl().reverse(), rl.kl().estimator());
    this.klScale =
        rl.kl().target() > 0
            ? new KlController(
                1.0, rl.kl().target(), rl.kl().horizon(), rl.kl().minFactor(), rl.kl().maxFactor())
            : null;
    this.schedule = new LrSchedule(t.lr(), t.warmupSteps(), t.steps(), false, 1.0);
    this.guard = new NonFiniteGuard(t.maxSkippedSteps(), out);
    this.probe =
        reference != null && d.probeEvery() > 0
            ? probe(cfg, setup.task(), setup.prompts(), setup.folder(), setup.evalSet(), policy)
            : null;
  }

  private static void require(boolean ok, String message) {
    if (!ok) throw new IllegalArgumentException(message);
  }

  /**
   * The fixed probe set ({@link DiffusionProbe}) of the first {@code diffusion.probe_problems}
   * held-out problems {@code evalSet}.
   */
  static <D> DiffusionProbe probe(
      RunConfig cfg,
      io.grpo4j.task.Task<D> task,
      io.grpo4j.eval.Prompts<D> prompts,
      io.grpo4j.model.ModelFolder folder,
      List<Problem<D>> evalSet,
      MaskedDiffusionModel model) {
    RunConfig.Diffusion d = cfg.diffusion();
    List<Problem<D>> some = evalSet.subList(0, Math.min(d.probeProblems(), evalSet.size()));
    int eos = model.config().backbone().eosTokenIds().get(0);
    List<int[]> promptIds = new ArrayList<>();
    List<int[]> answers = new ArrayList<>();
    for (Problem<D> p : some) {
      promptIds.add(prompts.ids(p));
      answers.add(
          DiffusionSftTrainer.paddedAnswer(task, folder.tokenizer(), p, d.genLength(), eos));
    }
    return DiffusionProbe.of(
        promptIds,
        answers,
        model.maskTokenId(),
        Seeds.derive(cfg.data().evalSeed(), Seeds.PROBE, 0),
        model.device());
  }

  public AdamW optimizer() {
    return optimizer;
  }

  /** Restores what a checkpoint's trainer_state.json holds beyond the weights and optimizer. */
  public void restore(JsonNode state) {
    if (klScale != null && state.has("kl_scale")) klScale.reset(state.path("kl_scale").asDouble());
  }

  private KlPenalty klNow() {
    return klScale == null ? kl : kl.scaled(klScale.value());
  }

  /** Runs steps {@code firstStep..train.steps} (or until the time budget); returns the last. */
  public long train(long firstStep) throws IOException {
    RunConfig.Train t = cfg.train();
    Path run = setup.runDir();
    long deadline =
        t.budgetMinutes() > 0
            ? System.nanoTime() + (long) (t.budgetMinutes() * 60e9)
            : Long.MAX_VALUE;
    Progress progress = new Progress(out, firstStep, t.steps());
    long last = firstStep - 1;
    try (TensorBoardLog tb = TensorBoardLog.open(run, cfg.logging().tensorboard());
        MetricsLog metrics = new MetricsLog(run.resolve("metrics.jsonl"), tb::metrics);
        MetricsLog samples = new MetricsLog(run.resolve("samples.jsonl"), tb::sample)) {
      for (long step = firstStep; step <= t.steps(); step++) {
        Map<String, Object> row;
        try (PointerScope scope = new PointerScope()) {
          row = step(step, samples);
        }
        boolean outOfTime = System.nanoTime() > deadline;
        boolean lastStep = step == t.steps() || outOfTime;
        // as TrainLoop: every eval_every steps and at the end (eval_every 0: only at the end)
        boolean evalNow = (t.evalEvery() > 0 && step % t.evalEvery() == 0) || lastStep;
        if (evalNow) evaluateInto(row);
        last = step;
        metrics.append(row);
        progress.line(step, progressText(row, evalNow));
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

  private static String progressText(Map<String, Object> row, boolean evalNow) {
    if (!row.containsKey(MetricNames.REWARD_MEAN))
      return "no update: every group's reward request failed";
    return String.format(
        "reward %.3f | success %.1f%% | kl %.4f | probe kl %s | cos %s | %.1fs%s",
        (double) row.get(MetricNames.REWARD_MEAN),
        100 * (double) row.get(MetricNames.SUCCESS_RATE),
        (double) row.get(MetricNames.KL_FORWARD),
        row.containsKey(MetricNames.PROBE_KL_FORWARD)
            ? String.format("%.4f", (double) row.get(MetricNames.PROBE_KL_FORWARD))
            : "-",
        String.format("%.2f", (double) row.get(MetricNames.GRAD_HALF_COSINE)),
        (double) row.get(MetricNames.TIME_ROLLOUT_S) + (double) row.get(MetricNames.TIME_TRAIN_S),
        evalNow
            ? String.format(
                " | eval success %.1f%% (sampled %.1f%%)",
                100 * (double) row.get(MetricNames.EVAL_SUCCESS_RATE),
                100 * (double) row.get(MetricNames.EVAL_SAMPLED_SUCCESS_RATE))
            : "");
  }

  void save(long step) throws IOException {
    ObjectNode state = Checkpoints.state("grpo", setup);
    state.put("model_init", cfg.model().init());
    if (klScale != null) state.put("kl_scale", klScale.value());
    state.put("world_size", 1);
    Checkpoints.save(
        setup.runDir(),
        step,
        policy,
        DType.parse(cfg.model().saveDtype()),
        setup.folder(),
        optimizer,
        state);
  }

  /**
   * Held-out success of the greedy-equivalent decoder and of one random-order sample at τ = 1 per
   * problem, on the first {@code diffusion.eval_problems}: {@code eval/success_rate}, {@code
   * eval/sampled_success_rate}.
   */
  private void evaluateInto(Map<String, Object> row) {
    try (PointerScope scope = new PointerScope()) {
      DiffusionEvaluator<D> ev =
          new DiffusionEvaluator<>(setup.task(), setup.prompts(), setup.folder());
      List<Problem<D>> some =
          setup.evalSet().subList(0, Math.min(d.evalProblems(), setup.evalSet().size()));
      EvalScores greedy =
          ev.run(policy, some, 0, d.genLength(), d.steps(), cfg.seed(), null).report().scores();
      EvalScores sampled =
          ev.run(policy, some, 1, d.genLength(), d.steps(), cfg.seed(), null).report().scores();
      row.put(MetricNames.EVAL_SUCCESS_RATE, greedy.successRate());
      row.put(MetricNames.EVAL_REWARD_PER_PROMPT, greedy.rewardPerPrompt());
      row.put(MetricNames.EVAL_MEAN_LEN, greedy.meanLength());
      row.put(MetricNames.EVAL_SAMPLED_SUCCESS_RATE, sampled.successRate());
    }
  }

  /** One GRPO step; returns its metrics row. */
  Map<String, Object> step(long step, MetricsLog samplesLog) throws IOException {
    RunConfig.Rl rl = cfg.rl();
    int g = rl.groupSize();
    long t0 = System.nanoTime();
    // 1. a group of G completions per prompt from π_old
    List<Problem<D>> problems =
        setup.trainProblems(Seeds.TRAIN_PROBLEMS, step, cfg.data().promptsPerStep());
    List<int[]> prompts = new ArrayList<>();
    for (Problem<D> p : problems) prompts.add(setup.prompts().ids(p));
    double tau = cfg.sampling().temperature();
    DiffusionRollout rollout =
        new DiffusionSampler(policy)
            .generate(
                prompts,
                g,
                new DiffusionSampler.Params(
                    d.genLength(),
                    d.steps(),
                    d.order(),
                    tau,
                    Seeds.derive(cfg.seed(), Seeds.ROLLOUT, step),
                    d.advantage() == DiffusionAdvantage.STEP_DELTA));
    // 2. the verifier: the answer is the text up to the first stop token
    List<Sample> answers = new ArrayList<>();
    for (DiffusionSample s : rollout.samples())
      answers.add(s.asSample(setup.folder().stopTokenIds()));
    List<Scoring.Result> results = setup.scoreAll(problems, answers);
    RewardFailures judged = RewardFailures.of(results, g);
    List<DiffusionSample> rows = new ArrayList<>();
    List<Problem<D>> rowProblems = new ArrayList<>();
    for (int group = 0; group < problems.size(); group++) {
      boolean ok = true;
      for (int i = group * g; i < (group + 1) * g; i++) ok &= !results.get(i).failed();
      if (!ok) continue;
      for (int i = group * g; i < (group + 1) * g; i++) {
        rows.add(rollout.samples().get(i));
        rowProblems.add(problems.get(group));
      }
    }
    List<ScoredSample> scored = judged.kept();
    double rolloutSeconds = (System.nanoTime() - t0) / 1e9;
    Map<String, Object> row = new LinkedHashMap<>();
    row.put(MetricNames.STEP, step);
    row.put(MetricNames.REWARD_FAILURES, judged.failures());
    row.put(MetricNames.REWARD_DROPPED_GROUPS, judged.droppedGroups());
    if (rows.isEmpty()) {
      row.put(MetricNames.TIME_ROLLOUT_S, rolloutSeconds);
      row.put(MetricNames.SKIPPED_STEPS, 1);
      return row;
    }
    long t1 = System.nanoTime();
    int b = rows.size();
    int len = d.genLength();
    var device = policy.device();
    // 3. advantages [B, L]
    float[] pref = new float[b * len];
    float[] ent = new float[b * len];
    double[] outcome = new double[b];
    for (int i = 0; i < b; i++) {
      double[] r = scored.get(i).tokenRewards();
      for (int k = 0; k < r.length; k++) pref[i * len + k] = (float) r[k];
      System.arraycopy(rows.get(i).entropies(), 0, ent, i * len, len);
      outcome[i] = scored.get(i).outcome().reward();
    }
    Tensor mask = torch.ones(new long[] {b, len}, Tensors.options(DType.F32));
    Tensor prefT = Tensors.floats(pref).reshape(b, len);
    Tensor entT = Tensors.floats(ent).reshape(b, len);
    Tensor adv;
    double fracZeroStdSteps = Double.NaN;
    DiffusionBatch batch = DiffusionBatch.of(rows, policy.maskTokenId(), device);
    switch (d.advantage()) {
      case SEQUENCE -> {
        Tensor r = rl.entropy().tokenRewards(prefT, entT, mask);
        adv = sequence.compute(r, mask, null, entT, g).advantages();
      }
      default -> {
        double[][] stepRewards =
            d.advantage() == DiffusionAdvantage.STEP_DELTA
                ? decodeDeltas(rows, rowProblems)
                : stateDeltas(rows, scored);
        Tensor dT = Tensors.doubles(flatten(stepRewards)).reshape(b, d.steps());
        fracZeroStdSteps = StepAdvantages.fracZeroStdSteps(dT, g);
        adv =
            StepAdvantages.onTokens(stepAdvantages.perStep(dT, g), batch.commitSteps())
                .to(torch.ScalarType.Float);
      }
    }
    adv = adv.to(device, torch.ScalarType.Float);
    Tensor weights =
        policyLoss.aggregation().tokenWeights(mask, len).to(device, torch.ScalarType.Float);
    // 4. one pass of the clipped surrogate + KL, in two halves of whole groups (gradient noise)
    double lr = schedule.at((int) step);
    Optimizers.setLr(optimizer, lr);
    optimizer.zero_grad();
    KlPenalty klStep = klNow();
    Totals totals = new Totals();
    Generator oneStepGen =
        torch.createCPUGenerator(Seeds.derive(cfg.seed(), Seeds.ONE_STEP_MASKS, step));
    // Σ_k E1 terms per row under π_old (the E1 arm gets them from its own training pass)
    double[] e1 =
        d.likelihood() == DiffusionLikelihood.TRAJECTORY
            ? oneStepSums(batch, oneStepGen, tau)
            : new double[b];
    int groups = b / g;
    int split = groups >= 2 ? (groups + 1) / 2 * g : b;
    Tensor firstHalf = null;
    for (int[] half : split < b ? new int[][] {{0, split}, {split, b}} : new int[][] {{0, b}}) {
      runHalf(
          DiffusionBatch.of(rows.subList(half[0], half[1]), policy.maskTokenId(), device),
          adv.narrow(0, half[0], half[1] - half[0]),
          weights.narrow(0, half[0], half[1] - half[0]),
          klStep,
          oneStepGen,
          totals,
          e1,
          half[0]);
      if (firstHalf == null && split < b) firstHalf = flatGradient().clone();
    }
    double cosine = Double.NaN;
    if (firstHalf != null) {
      Tensor all = flatGradient();
      Tensor second = all.sub(firstHalf);
      cosine =
          firstHalf.dot(second).item_double()
              / Math.max(1e-30, firstHalf.norm().item_double() * second.norm().item_double());
    }
    double gradNorm = Optimizers.clipGradNorm(params, cfg.train().gradClip());
    int skipped = 0;
    if (guard.isFinite(step, totals.totalLoss, gradNorm)) {
      optimizer.step();
    } else {
      optimizer.zero_grad();
      skipped = 1;
    }
    if (klScale != null) klScale.update(totals.klForward / totals.tokens, 1);
    double trainSeconds = (System.nanoTime() - t1) / 1e9;
    // 5. metrics
    double[] e2 = new double[b];
    for (int i = 0; i < b; i++) for (float x : rows.get(i).logprobs()) e2[i] += x;
    long t2 = System.nanoTime();
    double[] probeKl = null;
    if (probe != null && step % d.probeEvery() == 0) probeKl = probe.kl(policy, reference);
    double probeSeconds = (System.nanoTime() - t2) / 1e9;
    double n = b;
    double mean = Arrays.stream(outcome).sum() / n;
    double var = 0;
    for (double x : outcome) var += (x - mean) * (x - mean) / Math.max(1, n - 1);
    long answerTokens = scored.stream().mapToLong(s -> s.sample().length()).sum();
    row.put(MetricNames.REWARD_MEAN, mean);
    row.put(MetricNames.REWARD_STD, Math.sqrt(var));
    row.put(
        MetricNames.SUCCESS_RATE, scored.stream().filter(s -> s.outcome().success()).count() / n);
    row.put(MetricNames.KL_FORWARD, totals.klForward / totals.tokens);
    row.put(MetricNames.KL_REVERSE, totals.klReverse / totals.tokens);
    row.put(MetricNames.KL_LAMBDA_FORWARD, klStep.lambdaForward());
    row.put(MetricNames.KL_LAMBDA_REVERSE, klStep.lambdaReverse());
    if (probeKl != null) {
      row.put(MetricNames.PROBE_KL_FORWARD, probeKl[0]);
      row.put(MetricNames.PROBE_KL_REVERSE, probeKl[1]);
    }
    row.put(MetricNames.ENTROPY, entT.mean().item_double());
    row.put(MetricNames.ADV_TOKEN_MEAN, adv.mean().item_double());
    row.put(MetricNames.ADV_TOKEN_ABS_MEAN, adv.abs().mean().item_double());
    row.put(MetricNames.LOSS_POLICY, totals.policyLoss);
    row.put(MetricNames.LOSS_TOTAL, totals.totalLoss);
    row.put(MetricNames.CLIP_RATIO, totals.clipTokens / totals.tokens);
    row.put(MetricNames.GRAD_NORM, gradNorm);
    row.put(MetricNames.GRAD_HALF_COSINE, cosine);
    row.put(MetricNames.LIKELIHOOD_E1_E2_CORR, pearson(e1, e2));
    row.put(MetricNames.LIKELIHOOD_E1_MEAN, Arrays.stream(e1).average().orElse(Double.NaN));
    row.put(MetricNames.LIKELIHOOD_E2_MEAN, Arrays.stream(e2).average().orElse(Double.NaN));
    row.put(MetricNames.LR, lr);
    row.put(MetricNames.COMPLETION_LEN_MEAN, answerTokens / n);
    row.put(
        MetricNames.FRAC_ZERO_STD_GROUPS,
        Advantages.fracZeroStdGroups(Tensors.doubles(outcome), g));
    if (!Double.isNaN(fracZeroStdSteps)) row.put(MetricNames.FRAC_ZERO_STD_STEPS, fracZeroStdSteps);
    row.put(MetricNames.TIME_ROLLOUT_S, rolloutSeconds);
    row.put(MetricNames.TIME_TRAIN_S, trainSeconds);
    row.put(MetricNames.TIME_PROBE_S, probeSeconds);
    row.put(
        MetricNames.TOKENS_PER_S,
        (rollout.promptTokens() + n * len) / (rolloutSeconds + trainSeconds));
    row.put(MetricNames.SKIPPED_STEPS, skipped);
    row.putAll(io.grpo4j.torch.MemoryStats.row());
    if (cfg.train().samplesPerStep() > 0) logSamples(samplesLog, step, rows, scored, adv);
    return row;
  }

  /** Running sums over the parts of one step. */
  private static final class Totals {
    double policyLoss;
    double totalLoss;
    double klForward;
    double klReverse;
    double clipTokens;
    double tokens;
  }

  /**
   * Forward + backward of one half-batch's share of the loss: E2 one part per denoising step (the
   * positions committed at that step, from their commit state), E1 one part (every position, from
   * the all-[MASK] state). Each position's loss −min(ρA, clip(ρ)A) + λ_F·KL + λ_R·KL carries its
   * aggregation weight, so the parts of both halves sum to the batch loss.
   */
  private void runHalf(
      DiffusionBatch hb,
      Tensor adv,
      Tensor weights,
      KlPenalty klStep,
      Generator oneStepGen,
      Totals totals,
      double[] e1,
      int firstRow) {
    double tau = cfg.sampling().temperature();
    long len = hb.len;
    Tensor old = hb.oldLogProbs();
    Tensor tokens = hb.tokens();
    boolean trajectory = d.likelihood() == DiffusionLikelihood.TRAJECTORY;
    int parts = trajectory ? d.steps() : 1;
    for (int part = 1; part <= parts; part++) {
      try (PointerScope scope = new PointerScope()) {
        Tensor valid = hb.valid();
        Tensor ids = trajectory ? hb.stateIds(part) : hb.oneStepIds(d.promptMask(), oneStepGen);
        Tensor partMask = trajectory ? hb.stepMask(part) : hb.mask();
        Tensor logits = DiffusionLikelihoods.logits(policy, hb, ids, valid);
        Tensor logp = TokenLogProbs.of(DiffusionLikelihoods.tempered(logits, tau), tokens);
        Tensor oldPart = trajectory ? old : logp.detach();
        if (!trajectory) {
          double[] sums =
              Tensors.toDoubles(
                  logp.detach()
                      .to(torch.ScalarType.Double)
                      .sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional()));
          for (int i = 0; i < sums.length; i++) e1[firstRow + i] = sums[i];
        }
        PolicyLoss.Result pl = policyLoss.compute(logp, oldPart, adv, partMask, len);
        Tensor perToken = pl.perToken();
        KlPenalty.Terms klTerms = null;
        if (reference != null) {
          Tensor refLogits;
          try (NoGradGuard ng = new NoGradGuard()) {
            refLogits = DiffusionLikelihoods.logits(reference, hb, ids, valid);
          }
          klTerms = KlPenalty.exact(logits, refLogits);
          perToken = perToken.add(klStep.perToken(klTerms));
        }
        Tensor w = weights.mul(partMask);
        Tensor loss = perToken.mul(w).sum();
        Ops.backward(loss, torch.ones_like(loss));
        double count = partMask.sum().item_double();
        totals.policyLoss += pl.perToken().detach().mul(w).sum().item_double();
        totals.totalLoss += loss.item_double();
        totals.clipTokens += pl.clipRatio() * count;
        totals.tokens += count;
        if (klTerms != null) {
          totals.klForward += klTerms.forward().detach().mul(partMask).sum().item_double();
          totals.klReverse += klTerms.reverse().detach().mul(partMask).sum().item_double();
        }
      }
    }
  }

  /** Every parameter's gradient, flattened into one f32 vector (zeros where none). */
  private Tensor flatGradient() {
    TensorVector parts = new TensorVector();
    for (Tensor p : params) {
      Tensor gr = p.grad();
      parts.push_back(gr.defined() ? gr.reshape(-1) : torch.zeros_like(p).reshape(-1));
    }
    return torch.cat(parts);
  }

  /** Σ_k log p(y_k | x̃, all [MASK]) per row under π_old (E1), without gradient. */
  private double[] oneStepSums(DiffusionBatch batch, Generator gen, double tau) {
    try (NoGradGuard ng = new NoGradGuard();
        PointerScope scope = new PointerScope()) {
      Tensor lp = DiffusionLikelihoods.oneStep(policy, batch, d.promptMask(), gen, tau);
      return Tensors.toDoubles(
          lp.to(torch.ScalarType.Double)
              .sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional()));
    }
  }

  /**
   * A2 step rewards [B][T]: R_s − R_{s−1}, R_s the verifier's outcome reward of the answer decoded
   * after step s (decodes[s], up to its first stop token); R_T is the row's own reward.
   */
  private double[][] decodeDeltas(List<DiffusionSample> rows, List<Problem<D>> rowProblems) {
    int steps = d.steps();
    List<Sample> decoded = new ArrayList<>();
    List<Problem<D>> perDecode = new ArrayList<>();
    Map<String, Integer> index = new HashMap<>();
    int[][] at = new int[rows.size()][steps + 1];
    for (int i = 0; i < rows.size(); i++) {
      DiffusionSample s = rows.get(i);
      for (int st = 0; st <= steps; st++) {
        int[] ids = s.decodes()[st];
        int n = DiffusionSample.answerLength(ids, setup.folder().stopTokenIds());
        int[] answer = Arrays.copyOf(ids, n);
        String key = rowProblems.get(i).id() + ":" + Arrays.toString(answer);
        Integer j = index.get(key);
        if (j == null) {
          j = decoded.size();
          index.put(key, j);
          decoded.add(
              new Sample(
                  perDecode.size(),
                  s.promptIds(),
                  answer,
                  new float[n],
                  new float[n],
                  Sample.FinishReason.STOP));
          perDecode.add(rowProblems.get(i));
        }
        at[i][st] = j;
      }
    }
    List<Scoring.Result> results = setup.scoreAll(perDecode, decoded);
    double[][] deltas = new double[rows.size()][steps];
    for (int i = 0; i < rows.size(); i++) {
      for (int st = 1; st <= steps; st++) {
        deltas[i][st - 1] = reward(results.get(at[i][st])) - reward(results.get(at[i][st - 1]));
      }
    }
    return deltas;
  }

  /** A failed request scores 0 (the decodes are a diagnostic signal, not the trained outcome). */
  private static double reward(Scoring.Result r) {
    return r.failed() ? 0 : r.scored().outcome().reward();
  }

  /**
   * A3 step rewards [B][T]: Φ(z_s) − Φ(z_{s−1}), Φ(z) the verifier's score of the prefix of z
   * before its first [MASK] — the cumulative token reward up to that position (the outcome once the
   * prefix passes the answer's stop token), Φ(z_0) = 0 and Φ(z_T) the row's reward.
   */
  private double[][] stateDeltas(List<DiffusionSample> rows, List<ScoredSample> scored) {
    int steps = d.steps();
    double[][] deltas = new double[rows.size()][steps];
    for (int i = 0; i < rows.size(); i++) {
      double[] r = scored.get(i).tokenRewards();
      double[] cum = new double[r.length + 1];
      for (int k = 0; k < r.length; k++) cum[k + 1] = cum[k] + r[k];
      int[] commit = rows.get(i).commitStep();
      double before = 0;
      for (int st = 1; st <= steps; st++) {
        int prefix = 0;
        while (prefix < commit.length && commit[prefix] <= st) prefix++;
        double now = cum[Math.min(prefix, r.length)];
        deltas[i][st - 1] = now - before;
        before = now;
      }
    }
    return deltas;
  }

  private static double[] flatten(double[][] x) {
    int cols = x[0].length;
    double[] f = new double[x.length * cols];
    for (int i = 0; i < x.length; i++) System.arraycopy(x[i], 0, f, i * cols, cols);
    return f;
  }

  /** Pearson correlation of two equally long series; NaN when either is constant. */
  static double pearson(double[] x, double[] y) {
    int n = x.length;
    double mx = Arrays.stream(x).average().orElse(0);
    double my = Arrays.stream(y).average().orElse(0);
    double sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) {
      sxy += (x[i] - mx) * (y[i] - my);
      sxx += (x[i] - mx) * (x[i] - mx);
      syy += (y[i] - my) * (y[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : Double.NaN;
  }

  private void logSamples(
      MetricsLog log, long step, List<DiffusionSample> rows, List<ScoredSample> scored, Tensor adv)
      throws IOException {
    int keep = Math.min(cfg.train().samplesPerStep(), rows.size());
    float[] advAll = Tensors.toFloats(adv);
    int len = d.genLength();
    for (int i = 0; i < keep; i++) {
      ScoredSample s = scored.get(i);
      int n = s.sample().length();
      List<String> pieces = new ArrayList<>(n);
      for (int id : s.sample().completionIds())
        pieces.add(setup.folder().tokenizer().decode(new int[] {id}));
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("step", step);
      r.put("index", i);
      r.put("group", i / cfg.rl().groupSize());
      r.put("prompt", setup.folder().tokenizer().decode(s.sample().promptIds()));
      r.put("completion", s.text());
      r.put("reward", s.outcome().reward());
      r.put("success", s.outcome().success());
      r.put("reason", s.outcome().reason());
      r.put("tokens", pieces);
      r.put("token_ids", s.sample().completionIds());
      r.put("token_rewards", s.tokenRewards());
      r.put("token_advantages", Arrays.copyOfRange(advAll, i * len, i * len + n));
      r.put("commit_step", Arrays.copyOf(rows.get(i).commitStep(), n));
      r.put("logprobs", s.sample().logprobs());
      r.put("entropies", s.sample().entropies());
      log.append(r);
    }
  }
}
