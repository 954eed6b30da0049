package io.grpo4j.train;

import io.grpo4j.config.RunConfig;
import io.grpo4j.eval.Prompts;
import io.grpo4j.eval.ScoredSample;
import io.grpo4j.generate.DiffusionSample;
import io.grpo4j.model.MaskedDiffusionModel;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.rl.KlPenalty;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Task;
import io.grpo4j.torch.Tensors;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * How far a masked-diffusion policy has drifted from a reference ({@link KlDrift}'s counterpart):
 * the exact per-position KL along the model's own answers, and on the fixed probe set.
 */
public final class DiffusionDrift {
  private DiffusionDrift() {}

  /**
   * {KL(π‖π_ref), KL(π_ref‖π)} per answer position (up to and including its stop token), each at
   * the state it was committed from, averaged over all answers' positions: the counterpart of the
   * autoregressive KL along greedy answers.
   *
   * @param samples the trajectories; {@code answers.get(i)} is row i's scored answer
   */
  public static double[] alongAnswers(
      MaskedDiffusionModel model,
      MaskedDiffusionModel ref,
      List<DiffusionSample> samples,
      List<ScoredSample> answers,
      int steps) {
    double fwd = 0;
    double rev = 0;
    double count = 0;
    try (NoGradGuard ng = new NoGradGuard()) {
      for (int from = 0; from < samples.size(); from += 64) {
        int to = Math.min(samples.size(), from + 64);
        try (PointerScope scope = new PointerScope()) {
          DiffusionBatch b =
              DiffusionBatch.of(samples.subList(from, to), model.maskTokenId(), model.device());
          float[] m = new float[(to - from) * b.len];
          for (int i = from; i < to; i++) {
            int n = answers.get(i).sample().length();
            for (int c = 0; c < n; c++) m[(i - from) * b.len + c] = 1f;
          }
          Tensor mask = Tensors.floats(m).reshape(to - from, b.len);
          KlPenalty.Terms t = DiffusionLikelihoods.trajectoryKl(model, ref, b, steps);
          fwd += t.forward().mul(mask).sum().item_double();
          rev += t.reverse().mul(mask).sum().item_double();
          count += mask.sum().item_double();
        }
      }
    }
    return new double[] {fwd / Math.max(1, count), rev / Math.max(1, count)};
  }

  /**
   * {KL(π‖π_ref), KL(π_ref‖π)} on the fixed probe set ({@link DiffusionProbe}) of the held-out
   * problems {@code evalSet}: the same states a training run's {@code probe/kl_forward} uses.
   */
  public static <D> double[] onProbe(
      RunConfig cfg,
      Task<D> task,
      Prompts<D> prompts,
      ModelFolder folder,
      List<Problem<D>> evalSet,
      MaskedDiffusionModel model,
      MaskedDiffusionModel ref) {
    return DiffusionGrpoTrainer.probe(cfg, task, prompts, folder, evalSet, model).kl(model, ref);
  }
}
