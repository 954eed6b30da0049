package io.grpo4j.train;

import static io.grpo4j.metrics.MetricNames.*;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.config.RunConfig;
import io.grpo4j.config.TrainOptions;
import io.grpo4j.dist.DistGroup;
import io.grpo4j.metrics.MetricsLog;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.rl.Masked;
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
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Supervised warm-start: teacher-forced cross-entropy on prompt → reference solution pairs, the
 * loss on completion tokens only (the reference answer plus the end-of-text token, so the model
 * learns to stop). Problems are drawn fresh every step, so the data never repeats. AdamW with
 * linear warm-up and cosine decay, gradient clipping, HF checkpoints. With LoRA ({@code
 * model.lora.r} &gt; 0) only the adapters train and the checkpoints hold them in PEFT's layout.
 */
public final class SftTrainer<D> {
  private final RunSetup<D> setup;
  private final RunConfig.Sft sft;
  private final Qwen2Model model;
  private final List<Tensor> params;
  private final AdamW optimizer;
  private final LrSchedule schedule;
  private final int endOfText;
  private final PrintStream out;
  private final WorkingWeights weights;
  private final TrainOptions options;
  private final NonFiniteGuard guard;
  private final DataParallel dp;
  private final TrainLoop loop;

  /**
   * A rank of a data-parallel job ({@link DataParallel}): each rank trains on its equal slice of
   * every step's batch; rank 0's weights are copied to every rank here.
   */
  public SftTrainer(RunSetup<D> setup, Qwen2Model model, PrintStream out, DistGroup group) {
    this.setup = setup;
    this.sft = setup.config().sft();
    this.model = model;
    this.out = out;
    model.setRequiresGrad(true);
    this.params = new ArrayList<>(model.trainableParameters().values());
    this.dp = new DataParallel(group, params, (long) setup.config().distributed().bucketMb() << 20);
    dp.share(sft.batchSize(), "sft.batch_size");
    dp.broadcastWeights();
    this.optimizer = Optimizers.adamW(params, sft.lr(), 0.9, 0.95, sft.weightDecay());
    this.schedule =
        new LrSchedule(sft.lr(), sft.warmupSteps(), sft.steps(), true, sft.minLrRatio());
    List<Integer> eos = model.config().eosTokenIds();
    if (eos.isEmpty())
      throw new IllegalArgumentException(
          "config.json of "
              + setup.folder().dir()
              + " names no eos_token_id: SFT needs one to teach stopping");
    this.endOfText = eos.get(0);
    RunConfig.Lora lora = setup.config().model().lora();
    this.weights =
        lora.enabled()
            ? WorkingWeights.lora(model, false)
            : WorkingWeights.of(
                model,
                DType.resolve(setup.config().model().dtype(), setup.config().model().device()));
    this.options = setup.config().model().trainOptions();
    this.guard = new NonFiniteGuard(setup.config().train().maxSkippedSteps(), out);
    this.loop = loop();
  }

  public AdamW optimizer() {
    return optimizer;
  }

  /** Runs steps {@code firstStep..sft.steps}; returns the last step done. */
  public long train(long firstStep) throws IOException {
    return loop.run(firstStep);
  }

  /** A complete checkpoint of {@code step}. */
  void save(long step) throws IOException {
    loop.save(step);
  }

  /** The SFT side of the {@link TrainLoop}: no time budget, no samples. */
  private TrainLoop loop() {
    TrainLoop.Schedule schedule =
        new TrainLoop.Schedule(sft.steps(), sft.evalEvery(), sft.saveEvery(), 0, false);
    return new TrainLoop(
        setup,
        dp,
        guard,
        out,
        schedule,
        new TrainLoop.Trainer() {
          /** Exponential moving average of the loss, for the progress line. */
          private double emaLoss = Double.NaN;

          @Override
          public String kind() {
            return "sft";
          }

          @Override
          public Map<String, Object> step(long step, MetricsLog samples) {
            return SftTrainer.this.step(step);
          }

          @Override
          public Qwen2Model evaluated() {
            return model;
          }

          @Override
          public Qwen2Model saved() {
            return model;
          }

          @Override
          public AdamW optimizer() {
            return optimizer;
          }

          @Override
          public String progress(
              long step, Map<String, Object> row, boolean evaluated, boolean first) {
            double loss = (double) row.get(LOSS_SFT);
            emaLoss = Double.isNaN(emaLoss) ? loss : 0.95 * emaLoss + 0.05 * loss;
            if (step % 25 != 0 && !evaluated && !first) return null;
            return String.format(
                "loss %.4f (ema %.4f) | lr %.2e | %.0f tok/s%s",
                loss,
                emaLoss,
                (double) row.get(LR),
                (double) row.get(TOKENS_PER_S),
                evaluated
                    ? String.format(
                        " | eval success %.1f%%", 100 * (double) row.get(EVAL_SUCCESS_RATE))
                    : "");
          }

          @Override
          public void addState(ObjectNode state) {}
        });
  }

  Map<String, Object> step(long step) {
    long t0 = System.nanoTime();
    // the batch one process would draw; this rank trains on its equal slice of it
    List<Problem<D>> all = setup.trainProblems(Seeds.SFT_PROBLEMS, step, sft.batchSize());
    int[] share = dp.share(all.size(), "sft.batch_size");
    List<Problem<D>> problems = all.subList(share[0], share[1]);
    List<int[]> prompts = new ArrayList<>();
    List<int[]> answers = new ArrayList<>();
    int width = 0;
    for (Problem<D> p : problems) {
      int[] prompt = setup.prompts().ids(p);
      int[] body = setup.folder().tokenizer().encode(setup.task().referenceCompletion(p));
      int[] answer = java.util.Arrays.copyOf(body, body.length + 1);
      answer[body.length] = endOfText;
      prompts.add(prompt);
      answers.add(answer);
      width = Math.max(width, prompt.length + answer.length);
    }
    int b = problems.size();
    // Right-padded rows; target[t] = ids[t + 1], trained only where ids[t + 1] is an answer token.
    long[][] ids = new long[b][width];
    long[][] valid = new long[b][width];
    long[][] target = new long[b][width - 1];
    float[] weight = new float[b * (width - 1)];
    for (int r = 0; r < b; r++) {
      int[] p = prompts.get(r);
      int[] a = answers.get(r);
      for (int i = 0; i < p.length; i++) ids[r][i] = p[i];
      for (int i = 0; i < a.length; i++) ids[r][p.length + i] = a[i];
      for (int i = 0; i < p.length + a.length; i++) valid[r][i] = 1;
      for (int i = 0; i < width - 1; i++) {
        target[r][i] = ids[r][i + 1];
        if (i + 1 >= p.length && i + 1 < p.length + a.length) weight[r * (width - 1) + i] = 1f;
      }
    }
    var device = model.device();
    Tensor idT = Tensors.longs(ids).to(device, torch.ScalarType.Long);
    Tensor validT = Tensors.longs(valid).to(device, torch.ScalarType.Bool);
    Tensor targetT = Tensors.longs(target).to(device, torch.ScalarType.Long);
    Tensor mask = Tensors.floats(weight).reshape(b, width - 1).to(device, torch.ScalarType.Float);
    double lr = schedule.at((int) step);
    Optimizers.setLr(optimizer, lr);
    optimizer.zero_grad();
    // loss = −Σ log p(answer token) / (answer tokens of the whole batch, all ranks), accumulated
    // over micro-batches of sft.micro_batch rows so the gradient, summed over ranks, is the whole
    // batch's.
    double answerTokens = dp.sum(Masked.count(mask).item_double());
    int micro = sft.microBatch() == 0 ? b : Math.min(sft.microBatch(), b);
    double loss = 0;
    for (int from = 0; from < b; from += micro) {
      int n = Math.min(micro, b - from);
      // LoRA dropout masks: seeded per (step, rank, micro-batch), so a resumed run redraws them
      long dropoutSeed =
          Seeds.derive(
              Seeds.derive(setup.config().seed(), Seeds.LORA_DROPOUT, step), dp.rank(), from);
      try (PointerScope scope = new PointerScope()) {
        loss +=
            microBatchLoss(
                weights.compute().training(dropoutSeed),
                idT.narrow(0, from, n),
                validT.narrow(0, from, n),
                targetT.narrow(0, from, n),
                mask.narrow(0, from, n),
                answerTokens);
      }
    }
    weights.gradientsToMaster();
    dp.allReduceGradients();
    loss = dp.sum(loss);
    double gradNorm = Optimizers.clipGradNorm(params, sft.gradClip());
    boolean applied = guard.isFinite(step, loss, gradNorm);
    if (applied) {
      optimizer.step();
    } else {
      optimizer.zero_grad(); // the update is skipped: neither weights nor moments see it
    }
    weights.refresh();
    double seconds = dp.max((System.nanoTime() - t0) / 1e9);
    double tokens = dp.sum(Masked.count(validT).item_double());
    Map<String, Object> row = new LinkedHashMap<>();
    row.put(STEP, step);
    row.put(LOSS_SFT, loss);
    row.put(GRAD_NORM, gradNorm);
    row.put(LR, lr);
    row.put(TOKENS_PER_S, tokens / seconds);
    row.put(TIME_TRAIN_S, seconds);
    // Rows are right-padded to the batch's longest pair; packing is not done (docs/performance.md).
    // (rank 0's rows)
    row.put(BATCH_PADDING_FRAC, 1 - Masked.count(validT).item_double() / ((double) b * width));
    row.put(SKIPPED_STEPS, applied ? 0 : 1);
    return row;
  }

  /** Forward + backward of rows' share of the batch loss; returns that share. */
  private double microBatchLoss(
      Qwen2Model m, Tensor ids, Tensor valid, Tensor targets, Tensor mask, double answerTokens) {
    TrainingPass pass = TrainingPass.nextToken(m, ids, valid, targets, mask, options);
    // L = −Σ m·log π_θ(answer token) / (answer tokens of the whole batch)
    Tensor loss = Masked.sum(pass.logProbs(), mask).mul(new Scalar(-1.0 / answerTokens));
    pass.backward(loss);
    return loss.item_double();
  }
}
