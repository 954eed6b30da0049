package io.grpo4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.grpo4j.generate.DiffusionRollout;
import io.grpo4j.generate.DiffusionSample;
import io.grpo4j.generate.DiffusionSampler;
import io.grpo4j.model.DiffusionConfig;
import io.grpo4j.model.MaskedDiffusionModel;
import io.grpo4j.model.MicroModels;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.torch.Tensors;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** The likelihoods a masked-diffusion GRPO step scores, against independent computations. */
class DiffusionTrajectoryTest {
  private static final int MASK = MicroModels.MICRO_MASK;

  /** A micro diffusion model in float64, so brute force and batch agree to rounding. */
  private static MaskedDiffusionModel doubleModel(long seed) {
    MaskedDiffusionModel f = MicroModels.diffusion(2, seed);
    Qwen2Model d = MicroModels.toDouble(f.backbone());
    return new MaskedDiffusionModel(new DiffusionConfig(d.config(), MASK), d);
  }

  /**
   * p(· | row) at generated position k for ONE unpadded row [prompt | state], by softmax in Java
   * doubles from the model's logits.
   */
  private static double[] probsAt(MaskedDiffusionModel m, int[] prompt, int[] state, int k) {
    long[][] ids = new long[1][prompt.length + state.length];
    for (int i = 0; i < prompt.length; i++) ids[0][i] = prompt[i];
    for (int i = 0; i < state.length; i++) ids[0][prompt.length + i] = state[i];
    long[][] valid = new long[1][ids[0].length];
    Arrays.fill(valid[0], 1);
    double[] z;
    try (PointerScope s = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      Tensor logits = m.logits(Tensors.longs(ids), Tensors.longs(valid).to(torch.ScalarType.Bool));
      z = Tensors.toDoubles(logits.select(1, prompt.length + k).squeeze(0));
    }
    double max = Arrays.stream(z).max().getAsDouble();
    double sum = 0;
    for (double x : z) sum += Math.exp(x - max);
    double[] p = new double[z.length];
    for (int v = 0; v < z.length; v++) p[v] = Math.exp(z[v] - max) / sum;
    return p;
  }

  /**
   * The exact random-order trajectory likelihood: the batched, left-padded, step-by-step E2 terms
   * summed over a row equal log Π_s Π_{k committed at s} p(y_k | x, z_{s−1}), where every state
   * z_{s−1} is rebuilt here from the commit steps and run through the model alone, one row at a
   * time.
   */
  @Test
  void trajectoryLikelihoodEqualsABruteForceProductOverTheStates() {
    MaskedDiffusionModel m = doubleModel(5);
    int len = 5;
    int steps = 3; // commits 2, 2, 1: several tokens per state
    List<int[]> prompts = List.of(new int[] {1, 2, 3, 4}, new int[] {9, 8});
    DiffusionRollout r =
        new DiffusionSampler(m)
            .generate(
                prompts,
                3,
                new DiffusionSampler.Params(
                    len, steps, DiffusionSampler.Order.RANDOM, 1.0, 17, false));
    try (PointerScope s = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      DiffusionBatch b = DiffusionBatch.of(r.samples(), MASK, new Device("cpu"));
      double[] batched = Tensors.toDoubles(DiffusionLikelihoods.trajectory(m, b, steps, 1.0));
      for (int i = 0; i < r.samples().size(); i++) {
        DiffusionSample x = r.samples().get(i);
        double product = 1;
        for (int step = 1; step <= steps; step++) {
          int[] state = new int[len];
          for (int k = 0; k < len; k++) state[k] = x.commitStep()[k] < step ? x.tokens()[k] : MASK;
          for (int k = 0; k < len; k++) {
            if (x.commitStep()[k] == step)
              product *= probsAt(m, x.promptIds(), state, k)[x.tokens()[k]];
          }
        }
        double sum = 0;
        double sampler = 0;
        for (int k = 0; k < len; k++) {
          sum += batched[i * len + k];
          sampler += x.logprobs()[k];
        }
        assertThat(sum).as("row %d", i).isCloseTo(Math.log(product), within(1e-9));
        // and the sampler's own log-probs (float32) are the same trajectory's
        assertThat(sampler).as("row %d", i).isCloseTo(Math.log(product), within(1e-4));
      }
    }
  }

  /**
   * E1: every generated position masked, the prompt masked at the given rate — at p = 0 the terms
   * are those of the all-[MASK] state, computed by hand for one row.
   */
  @Test
  void oneStepTermsAreThoseOfTheAllMaskState() {
    MaskedDiffusionModel m = doubleModel(6);
    int len = 4;
    DiffusionRollout r =
        new DiffusionSampler(m)
            .generate(
                List.of(new int[] {3, 5, 7}),
                2,
                new DiffusionSampler.Params(len, 2, DiffusionSampler.Order.RANDOM, 1.0, 3, false));
    try (PointerScope s = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      DiffusionBatch b = DiffusionBatch.of(r.samples(), MASK, new Device("cpu"));
      double[] e1 =
          Tensors.toDoubles(
              DiffusionLikelihoods.oneStep(m, b, 0.0, torch.createCPUGenerator(1), 1.0));
      int[] allMask = {MASK, MASK, MASK, MASK};
      for (int i = 0; i < 2; i++) {
        DiffusionSample x = r.samples().get(i);
        for (int k = 0; k < len; k++) {
          double want = Math.log(probsAt(m, x.promptIds(), allMask, k)[x.tokens()[k]]);
          assertThat(e1[i * len + k]).isCloseTo(want, within(1e-9));
        }
      }
      // at p close to 1 nearly every prompt token is masked: a different state, different terms
      Tensor ids = b.oneStepIds(0.999, torch.createCPUGenerator(2));
      long[] row = Tensors.toLongs(ids.select(0, 0));
      assertThat(Arrays.stream(row).filter(v -> v == MASK).count()).isEqualTo(3 + len);
      Tensor none = b.oneStepIds(0.0, torch.createCPUGenerator(2));
      assertThat(Tensors.toLongs(none.select(0, 0))).startsWith(3, 5, 7);
    }
  }

  @Test
  void pearsonIsOneForALinearRelationAndNaNForAConstant() {
    assertThat(DiffusionGrpoTrainer.pearson(new double[] {1, 2, 3}, new double[] {-2, -4, -6}))
        .isCloseTo(-1, within(1e-12));
    assertThat(DiffusionGrpoTrainer.pearson(new double[] {1, 2, 3}, new double[] {5, 5, 5}))
        .isNaN();
  }
}
