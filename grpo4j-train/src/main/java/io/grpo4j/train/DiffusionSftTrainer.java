package io.grpo4j.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.config.RunConfig;
import io.grpo4j.eval.DiffusionEvaluator;
import io.grpo4j.eval.EvalScores;
import io.grpo4j.metrics.MetricNames;
import io.grpo4j.metrics.MetricsLog;
import io.grpo4j.metrics.Progress;
import io.grpo4j.metrics.TensorBoardLog;
import io.grpo4j.model.MaskedDiffusionModel;
import io.grpo4j.rl.MaskedDiffusionLoss;
import io.grpo4j.task.Problem;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Tensors;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Supervised warm-start of a masked-diffusion model ({@code model.architecture: masked_diffusion})
 * on the same prompt → reference-solution pairs as {@link SftTrainer}: each answer plus its
 * end-of-text token, end-of-text padded to L = {@code diffusion.gen_length}, is masked at a rate t
 * ~ U(0, 1] per row and the model learns to fill it in ({@link MaskedDiffusionLoss}). The same
 * {@code sft.*} schedule, optimizer and checkpoints as SFT; evaluation is greedy-equivalent
 * decoding ({@link DiffusionEvaluator}, low-confidence order). One process (no data-parallel
 * ranks).
 */
public final class DiffusionSftTrainer<D> {
  private final RunSetup<D> setup;
  private final RunConfig.Sft sft;
  private final RunConfig.Diffusion diffusion;
  private final MaskedDiffusionModel model;
  private final List<Tensor> params;
  private final AdamW optimizer;
  private final LrSchedule schedule;
  private final int endOfText;
  private final PrintStream out;
  private final NonFiniteGuard guard;

  public DiffusionSftTrainer(RunSetup<D> setup, MaskedDiffusionModel model, PrintStream out) {
    this.setup = setup;
    this.sft = setup.config().sft();
    this.diffusion = setup.config().diffusion();
    this.model = model;
    this.out = out;
    model.setRequiresGrad(true);
    this.params = new ArrayList<>(model.parameters().values());
    this.optimizer = Optimizers.adamW(params, sft.lr(), 0.9, 0.95, sft.weightDecay());
    this.schedule =
        new LrSchedule(sft.lr(), sft.warmupSteps(), sft.steps(), true, sft.minLrRatio());
    List<Integer> eos = model.config().backbone().eosTokenIds();
    if (eos.isEmpty())
      throw new IllegalArgumentException(
          "config.json of "
              + setup.folder().dir()
              + " names no eos_token_id: SFT needs one to teach stopping");
    this.endOfText = eos.get(0);
    if (!DType.parse(setup.config().model().dtype()).equals(DType.F32))
      throw new IllegalArgumentException(
          "model.dtype: the masked-diffusion trainers run in f32 only, got "
              + setup.config().model().dtype());
    this.guard = new NonFiniteGuard(setup.config().train().maxSkippedSteps(), out);
  }

  public AdamW optimizer() {
    return optimizer;
  }

  /**
   * The reference answer of {@code p} as L ids: its tokens, end-of-text, then end-of-text up to L.
   */
  static <D> int[] paddedAnswer(
      io.grpo4j.task.Task<D> task,
      io.grpo4j.model.Tokenizer tokenizer,
      Problem<D> p,
      int len,
      int endOfText) {
    int[] body = tokenizer.encode(task.referenceCompletion(p));
    if (body.length + 1 > len) {
      throw new IllegalArgumentException(
          "diffusion.gen_length = "
              + len
              + " is too short for the reference answer of "
              + p.id()
              + " ("
              + (body.length + 1)
              + " tokens with its end-of-text): raise it");
    }
    int[] a = new int[len];
    java.util.Arrays.fill(a, endOfText);
    System.arraycopy(body, 0, a, 0, body.length);
    return a;
  }

  public long train(long firstStep) throws IOException {
    Progress progress = new Progress(out, firstStep, sft.steps());
    long last = firstStep - 1;
    double emaLoss = Double.NaN;
    try (TensorBoardLog tb =
            TensorBoardLog.open(setup.runDir(), setup.config().logging().tensorboard());
        MetricsLog metrics = new MetricsLog(setup.runDir().resolve("metrics.jsonl"), tb::metrics)) {
      for (long step = firstStep; step <= sft.steps(); step++) {
        Map<String, Object> row;
        try (PointerScope scope = new PointerScope()) {
          row = step(step);
        }
        double loss = (double) row.get(MetricNames.LOSS_SFT);
        emaLoss = Double.isNaN(emaLoss) ? loss : 0.95 * emaLoss + 0.05 * loss;
        boolean evalNow =
            (sft.evalEvery() > 0 && step % sft.evalEvery() == 0) || step == sft.steps();
        if (evalNow) evaluateInto(row);
        last = step;
        metrics.append(row);
        if (step % 25 == 0 || evalNow || step == firstStep) {
          progress.line(
              step,
              String.format(
                  "loss %.4f (ema %.4f) | lr %.2e | %.0f tok/s%s",
                  loss,
                  emaLoss,
                  (double) row.get(MetricNames.LR),
                  (double) row.get(MetricNames.TOKENS_PER_S),
                  evalNow
                      ? String.format(
                          " | eval success %.1f%%",
                          100 * (double) row.get(MetricNames.EVAL_SUCCESS_RATE))
                      : ""));
        }
        if ((step % sft.saveEvery() == 0 || step == sft.steps()) && guard.consecutive() == 0)
          save(step);
      }
    }
    return last;
  }

  /** Greedy-equivalent held-out success, {@code eval/*} metrics. */
  private void evaluateInto(Map<String, Object> row) {
    try (PointerScope scope = new PointerScope()) {
      EvalScores s =
          new DiffusionEvaluator<>(setup.task(), setup.prompts(), setup.folder())
              .run(
                  model,
                  setup.evalSet(),
                  0,
                  diffusion.genLength(),
                  diffusion.steps(),
                  setup.config().seed(),
                  null)
              .report()
              .scores();
      row.put(MetricNames.EVAL_SUCCESS_RATE, s.successRate());
      row.put(MetricNames.EVAL_REWARD_PER_PROMPT, s.rewardPerPrompt());
      row.put(MetricNames.EVAL_MEAN_LEN, s.meanLength());
    }
  }

  void save(long step) throws IOException {
    ObjectNode state = Checkpoints.state("sft", setup);
    state.put("world_size", 1);
    Checkpoints.save(
        setup.runDir(),
        step,
        model,
        DType.parse(setup.config().model().saveDtype()),
        setup.folder(),
        optimizer,
        state);
  }

  Map<String, Object> step(long step) {
    long t0 = System.nanoTime();
    List<Problem<D>> problems = setup.trainProblems(Seeds.SFT_PROBLEMS, step, sft.batchSize());
    int len = diffusion.genLength();
    int b = problems.size();
    int maskId = model.maskTokenId();
    List<int[]> prompts = new ArrayList<>(b);
    int width = 0;
    for (Problem<D> p : problems) {
      int[] prompt = setup.prompts().ids(p);
      prompts.add(prompt);
      width = Math.max(width, prompt.length);
    }
    // noise t_i ~ U(t_min, 1] per row, then each answer position masked with probability t_i
    Generator gen =
        torch.createCPUGenerator(Seeds.derive(setup.config().seed(), Seeds.SFT_MASKS, step));
    float[] u = Tensors.toFloats(torch.rand(new long[] {b}, new GeneratorOptional(gen), floats()));
    float[] v =
        Tensors.toFloats(torch.rand(new long[] {b, len}, new GeneratorOptional(gen), floats()));
    double tMin = diffusion.sftMinNoise();
    float[] noise = new float[b];
    long[][] ids = new long[b][width + len];
    long[][] valid = new long[b][width + len];
    long[][] targets = new long[b][len];
    float[] masked = new float[b * len];
    long answerTokens = 0;
    for (int r = 0; r < b; r++) {
      int[] p = prompts.get(r);
      int[] a =
          paddedAnswer(setup.task(), setup.folder().tokenizer(), problems.get(r), len, endOfText);
      noise[r] = (float) (tMin + (1 - tMin) * (1 - u[r])); // (t_min, 1]
      for (int i = 0; i < p.length; i++) {
        ids[r][width - p.length + i] = p[i];
        valid[r][width - p.length + i] = 1;
      }
      for (int k = 0; k < len; k++) {
        boolean m = v[r * len + k] < noise[r];
        targets[r][k] = a[k];
        masked[r * len + k] = m ? 1f : 0f;
        ids[r][width + k] = m ? maskId : a[k];
        valid[r][width + k] = 1;
        if (m) answerTokens++;
      }
    }
    var device = model.device();
    double lr = schedule.at((int) step);
    Optimizers.setLr(optimizer, lr);
    optimizer.zero_grad();
    int micro = sft.microBatch() == 0 ? b : Math.min(sft.microBatch(), b);
    Tensor idT = Tensors.longs(ids).to(device, torch.ScalarType.Long);
    Tensor validT = Tensors.longs(valid).to(device, torch.ScalarType.Bool);
    Tensor targetT = Tensors.longs(targets).to(device, torch.ScalarType.Long);
    Tensor maskT = Tensors.floats(masked).reshape(b, len).to(device, torch.ScalarType.Float);
    Tensor noiseT = Tensors.floats(noise).to(device, torch.ScalarType.Float);
    double loss = 0;
    for (int from = 0; from < b; from += micro) {
      int n = Math.min(micro, b - from);
      try (PointerScope scope = new PointerScope()) {
        Tensor logits = model.logits(idT.narrow(0, from, n), validT.narrow(0, from, n), width, len);
        // the batch mean: each micro-batch's mean weighted by its share of the rows
        Tensor l =
            MaskedDiffusionLoss.sft(
                    logits,
                    targetT.narrow(0, from, n),
                    maskT.narrow(0, from, n),
                    noiseT.narrow(0, from, n))
                .mul(new org.bytedeco.pytorch.Scalar((double) n / b));
        io.grpo4j.torch.Ops.backward(l, torch.ones_like(l));
        loss += l.item_double();
      }
    }
    double gradNorm = Optimizers.clipGradNorm(params, sft.gradClip());
    boolean applied = guard.isFinite(step, loss, gradNorm);
    if (applied) {
      optimizer.step();
    } else {
      optimizer.zero_grad();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    Map<String, Object> row = new LinkedHashMap<>();
    row.put(MetricNames.STEP, step);
    row.put(MetricNames.LOSS_SFT, loss);
    row.put(MetricNames.GRAD_NORM, gradNorm);
    row.put(MetricNames.LR, lr);
    row.put(MetricNames.MASKED_TOKENS, answerTokens);
    row.put(MetricNames.TOKENS_PER_S, (double) b * (width + len) / seconds);
    row.put(MetricNames.TIME_TRAIN_S, seconds);
    row.put(MetricNames.SKIPPED_STEPS, applied ? 0 : 1);
    return row;
  }

  private static org.bytedeco.pytorch.TensorOptions floats() {
    return Tensors.options(DType.F32);
  }
}
