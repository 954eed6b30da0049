package io.grpo4j.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.metrics.MetricsLog;
import io.grpo4j.metrics.Progress;
import io.grpo4j.metrics.TensorBoardLog;
import io.grpo4j.model.Qwen2Model;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;

/**
 * The loop around a trainer's step, the same for SFT and GRPO:
 *
 * <pre>
 *   (the trainer's own budget already spent, e.g. on resume: no step)
 *   for step = first .. steps:
 *     row = step(step)                              (in its own PointerScope)
 *     last = step == steps or out of time or the trainer's budget spent (every rank agrees)
 *     evaluate held-out into row when step % eval_every == 0 or last   (eval_every 0: only last)
 *     rank 0: append row to metrics.jsonl (+ TensorBoard), print progress,
 *             checkpoint when step % save_every == 0 or last, unless the step was skipped
 *     out of time: stop (resume continues); budget spent: stop
 * </pre>
 *
 * Only rank 0 writes files; every rank runs the same collectives in the same order.
 */
final class TrainLoop {

  /**
   * @param steps the last step ({@code train.steps}, {@code sft.steps})
   * @param evalEvery held-out evaluation every N steps and at the end; 0 = only at the end
   * @param saveEvery a checkpoint every N steps and at the end
   * @param budgetMinutes wall-time budget; 0 = none
   * @param writesSamples whether rank 0 keeps samples.jsonl
   */
  record Schedule(
      long steps, int evalEvery, int saveEvery, double budgetMinutes, boolean writesSamples) {}

  /** What a trainer adds to the loop. */
  interface Trainer {
    /** "sft" or "grpo", as trainer_state.json names the run kind. */
    String kind();

    /** One step; its metrics row (already reduced over ranks). */
    Map<String, Object> step(long step, MetricsLog samples) throws IOException;

    /** The weights the held-out evaluation runs on. */
    Qwen2Model evaluated();

    /** The trainable (master) weights a checkpoint saves. */
    Qwen2Model saved();

    AdamW optimizer();

    /** The step's progress line after "step N/M | ", or null for none. */
    String progress(long step, Map<String, Object> row, boolean evaluated, boolean first);

    /** Fields of trainer_state.json beyond the common ones. */
    void addState(ObjectNode state);

    /**
     * Null while the trainer's own budget lasts (GRPO: {@code train.max_generated_tokens}), else
     * why it is spent; the same on every rank.
     */
    default String budgetSpent() {
      return null;
    }
  }

  private final RunSetup<?> setup;
  private final DataParallel dp;
  private final NonFiniteGuard guard;
  private final PrintStream out;
  private final Schedule schedule;
  private final Trainer trainer;

  TrainLoop(
      RunSetup<?> setup,
      DataParallel dp,
      NonFiniteGuard guard,
      PrintStream out,
      Schedule schedule,
      Trainer trainer) {
    this.setup = setup;
    this.dp = dp;
    this.guard = guard;
    this.out = out;
    this.schedule = schedule;
    this.trainer = trainer;
  }

  /**
   * Runs steps {@code firstStep..steps} (or until the time budget or the trainer's own); returns
   * the last step done.
   */
  long run(long firstStep) throws IOException {
    Path run = setup.runDir();
    String spentBefore = trainer.budgetSpent();
    if (spentBefore != null) {
      if (dp.isMain()) out.printf("%s before step %d: done%n", spentBefore, firstStep);
      return firstStep - 1;
    }
    long deadline =
        schedule.budgetMinutes() > 0
            ? System.nanoTime() + (long) (schedule.budgetMinutes() * 60e9)
            : Long.MAX_VALUE;
    Progress progress = new Progress(out, firstStep, schedule.steps());
    long last = firstStep - 1;
    boolean main = dp.isMain();
    // only rank 0 writes the run's files (null resources are skipped by try-with-resources)
    try (TensorBoardLog tb =
            TensorBoardLog.open(run, main && setup.config().logging().tensorboard());
        MetricsLog metrics =
            main ? new MetricsLog(run.resolve("metrics.jsonl"), tb::metrics) : null;
        MetricsLog samples =
            main && schedule.writesSamples()
                ? new MetricsLog(run.resolve("samples.jsonl"), tb::sample)
                : null) {
      for (long step = firstStep; step <= schedule.steps(); step++) {
        Map<String, Object> row;
        try (PointerScope scope = new PointerScope()) {
          row = trainer.step(step, samples);
        }
        // every rank stops after the same step: out of time when any rank is
        boolean outOfTime =
            schedule.budgetMinutes() > 0 && dp.max(System.nanoTime() > deadline ? 1 : 0) > 0;
        String spent = trainer.budgetSpent();
        boolean lastStep = step == schedule.steps() || outOfTime || spent != null;
        boolean evalNow =
            (schedule.evalEvery() > 0 && step % schedule.evalEvery() == 0) || lastStep;
        if (evalNow) setup.evaluateInto(row, trainer.evaluated(), dp);
        last = step;
        if (main) {
          metrics.append(row);
          String line = trainer.progress(step, row, evalNow, step == firstStep);
          if (line != null) progress.line(step, line);
          if ((step % schedule.saveEvery() == 0 || lastStep) && guard.consecutive() == 0) {
            save(step);
          }
        }
        if (spent != null && step < schedule.steps()) {
          if (main) out.printf("%s after step %d; saved%n", spent, step);
          break;
        }
        if (outOfTime && step < schedule.steps()) {
          if (main) {
            out.printf(
                "time budget of %.1f min reached after step %d; saved, resume with: grpo4j train --resume %s%n",
                schedule.budgetMinutes(), step, run);
          }
          break;
        }
      }
    }
    dp.group().barrier(); // rank 0's last checkpoint is complete before any rank returns
    return last;
  }

  /** A complete checkpoint of {@code step} (weights, optimizer, trainer_state.json). */
  void save(long step) throws IOException {
    ObjectNode state = Checkpoints.state(trainer.kind(), setup);
    trainer.addState(state);
    state.put("world_size", dp.worldSize());
    Checkpoints.saveModel(setup, step, trainer.saved(), trainer.optimizer(), state);
  }
}
