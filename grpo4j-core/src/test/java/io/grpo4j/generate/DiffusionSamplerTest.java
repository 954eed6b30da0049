package io.grpo4j.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.grpo4j.generate.DiffusionSampler.Order;
import io.grpo4j.generate.DiffusionSampler.Params;
import io.grpo4j.model.MaskedDiffusionModel;
import io.grpo4j.model.MicroModels;
import io.grpo4j.torch.Tensors;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class DiffusionSamplerTest {
  private static final MaskedDiffusionModel MODEL = MicroModels.diffusion(2, 11);
  private static final List<int[]> PROMPTS = List.of(new int[] {1, 2, 3}, new int[] {7, 8});

  /**
   * Log-softmax of row {@code state} (prompt then L positions) at completion position k, by hand.
   */
  private static double[] logSoftmaxAt(MaskedDiffusionModel m, int[] prompt, int[] state, int k) {
    long[][] ids = new long[1][prompt.length + state.length];
    long[][] valid = new long[1][ids[0].length];
    for (int i = 0; i < prompt.length; i++) ids[0][i] = prompt[i];
    for (int i = 0; i < state.length; i++) ids[0][prompt.length + i] = state[i];
    Arrays.fill(valid[0], 1);
    try (PointerScope s = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      Tensor logits = m.logits(Tensors.longs(ids), Tensors.longs(valid).to(torch.ScalarType.Bool));
      return Tensors.toDoubles(
          logits
              .select(1, prompt.length + k)
              .squeeze(0)
              .to(torch.ScalarType.Double)
              .log_softmax(-1));
    }
  }

  @Test
  void withAsManyStepsAsPositionsEachStepCommitsOneToken() {
    int len = 6;
    DiffusionRollout r =
        new DiffusionSampler(MODEL)
            .generate(PROMPTS, 3, new Params(len, len, Order.RANDOM, 1.0, 5, true));
    assertThat(r.samples()).hasSize(6);
    for (DiffusionSample s : r.samples()) {
      int[] steps = s.commitStep().clone();
      Arrays.sort(steps);
      assertThat(steps).containsExactly(1, 2, 3, 4, 5, 6); // one position per step, each once
      assertThat(s.decodes()[len]).containsExactly(s.tokens());
      for (int t : s.tokens()) assertThat(t).isNotEqualTo(MicroModels.MICRO_MASK);
    }
  }

  @Test
  void stepsCommitTheCeilingOfWhatIsLeftOverTheStepsLeft() {
    assertThat(DiffusionSampler.commits(7, 1, 3)).isEqualTo(3); // ⌈7/3⌉
    assertThat(DiffusionSampler.commits(4, 2, 3)).isEqualTo(2); // ⌈4/2⌉
    assertThat(DiffusionSampler.commits(2, 3, 3)).isEqualTo(2); // the last step takes the rest
    DiffusionRollout r =
        new DiffusionSampler(MODEL)
            .generate(PROMPTS, 1, new Params(7, 3, Order.RANDOM, 1.0, 1, false));
    for (DiffusionSample s : r.samples()) {
      int[] count = new int[4];
      for (int c : s.commitStep()) count[c]++;
      assertThat(count).containsExactly(0, 3, 2, 2);
    }
    assertThatThrownBy(() -> new Params(4, 5, Order.RANDOM, 1, 0, false))
        .hasMessageContaining("[1, gen length = 4]");
  }

  @Test
  void theRandomOrderDoesNotDependOnTheModel() {
    Params p = new Params(8, 4, Order.RANDOM, 1.0, 42, false);
    DiffusionRollout a = new DiffusionSampler(MODEL).generate(PROMPTS, 2, p);
    DiffusionRollout b = new DiffusionSampler(MicroModels.diffusion(2, 99)).generate(PROMPTS, 2, p);
    DiffusionRollout c =
        new DiffusionSampler(MODEL)
            .generate(PROMPTS, 2, new Params(8, 4, Order.RANDOM, 1.0, 43, false));
    boolean tokensDiffer = false;
    boolean orderDiffers = false;
    for (int i = 0; i < a.samples().size(); i++) {
      assertThat(b.samples().get(i).commitStep()).containsExactly(a.samples().get(i).commitStep());
      tokensDiffer |= !Arrays.equals(a.samples().get(i).tokens(), b.samples().get(i).tokens());
      orderDiffers |=
          !Arrays.equals(a.samples().get(i).commitStep(), c.samples().get(i).commitStep());
    }
    assertThat(tokensDiffer).as("different models draw different tokens").isTrue();
    assertThat(orderDiffers).as("another seed gives another order").isTrue();
    // the same seed and model give the same rollout
    DiffusionRollout again = new DiffusionSampler(MODEL).generate(PROMPTS, 2, p);
    for (int i = 0; i < a.samples().size(); i++)
      assertThat(again.samples().get(i).tokens()).containsExactly(a.samples().get(i).tokens());
  }

  @Test
  void logProbsAreThoseOfEachTokenAtItsCommitState() {
    int len = 5;
    double tau = 0.7;
    DiffusionRollout r =
        new DiffusionSampler(MODEL)
            .generate(PROMPTS, 2, new Params(len, 3, Order.RANDOM, tau, 9, false));
    for (DiffusionSample s : r.samples()) {
      for (int k = 0; k < len; k++) {
        int[] state = s.stateBefore(s.commitStep()[k], MicroModels.MICRO_MASK);
        double[] lsm = logSoftmaxAt(MODEL, s.promptIds(), state, k);
        // softmax(z/τ) by hand from the model's log-softmax (z up to a constant)
        double max = Double.NEGATIVE_INFINITY;
        for (double x : lsm) max = Math.max(max, x / tau);
        double sum = 0;
        for (double x : lsm) sum += Math.exp(x / tau - max);
        double want = lsm[s.tokens()[k]] / tau - max - Math.log(sum);
        assertThat((double) s.logprobs()[k]).as("position %d", k).isCloseTo(want, within(1e-4));
      }
    }
  }

  @Test
  void lowConfidenceGreedyCommitsTheMostProbableArgMaxFirst() {
    int len = 4;
    DiffusionRollout r =
        new DiffusionSampler(MODEL)
            .generate(PROMPTS, 1, new Params(len, len, Order.LOW_CONFIDENCE, 0.0, 0, false));
    for (DiffusionSample s : r.samples()) {
      for (int step = 1; step <= len; step++) {
        int[] state = s.stateBefore(step, MicroModels.MICRO_MASK);
        int committed = -1;
        double best = Double.NEGATIVE_INFINITY;
        int bestAt = -1;
        for (int k = 0; k < len; k++) {
          if (s.commitStep()[k] == step) committed = k;
          if (s.commitStep()[k] < step) continue;
          double[] lsm = logSoftmaxAt(MODEL, s.promptIds(), state, k);
          int arg = 0;
          for (int v = 1; v < lsm.length; v++) if (lsm[v] > lsm[arg]) arg = v;
          if (lsm[arg] > best) {
            best = lsm[arg];
            bestAt = k;
          }
          if (s.commitStep()[k] == step) assertThat(s.tokens()[k]).isEqualTo(arg);
        }
        assertThat(committed).as("step %d", step).isEqualTo(bestAt);
      }
    }
  }

  @Test
  void anAnswerEndsAtItsFirstStopToken() {
    DiffusionSample s =
        new DiffusionSample(
            0,
            new int[] {1},
            new int[] {5, 6, 49, 7, 49},
            new int[] {1, 2, 3, 4, 5},
            new float[] {-1, -2, -3, -4, -5},
            new float[5],
            null);
    Sample a = s.asSample(Set.of(49));
    assertThat(a.completionIds()).containsExactly(5, 6, 49);
    assertThat(a.logprobs()).containsExactly(-1, -2, -3);
    assertThat(a.finishReason()).isEqualTo(Sample.FinishReason.STOP);
    assertThat(s.asSample(Set.of(30)).finishReason()).isEqualTo(Sample.FinishReason.LENGTH);
    assertThat(s.stateBefore(3, 48)).containsExactly(5, 6, 48, 48, 48);
  }
}
