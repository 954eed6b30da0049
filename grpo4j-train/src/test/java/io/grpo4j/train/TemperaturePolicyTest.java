package io.grpo4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.grpo4j.config.TrainOptions;
import io.grpo4j.eval.ScoredSample;
import io.grpo4j.generate.Rollout;
import io.grpo4j.generate.Sample;
import io.grpo4j.generate.Sampler;
import io.grpo4j.generate.SamplingParams;
import io.grpo4j.model.MicroModels;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.task.Outcome;
import io.grpo4j.torch.Tensors;
import java.util.List;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GRPO's policy at sampling temperature τ is softmax(z/τ): the training pass must give the rollout
 * log-probs back (ρ = 1 at the start of a step), at τ = 1 and below it.
 */
class TemperaturePolicyTest {
  @ParameterizedTest
  @ValueSource(doubles = {1.0, 0.6, 1.8})
  void theTrainingPassReproducesTheLogProbsOfRolloutsSampledAtTemperatureTau(double tau) {
    try (PointerScope s = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      Qwen2Model m = MicroModels.random(MicroModels.config(2), 21);
      int vocab = (int) m.config().vocabSize();
      SamplingParams p = new SamplingParams(tau, 0, 1.0, false, 7, Set.of(), 5);
      Rollout r = new Sampler(m, vocab).generate(List.of(new int[] {1, 2, 3}, new int[] {9}), 3, p);
      List<ScoredSample> scored =
          r.samples().stream()
              .map(x -> new ScoredSample(x, "", new double[x.length()], new Outcome(0, false, "")))
              .toList();
      RolloutBatch b = RolloutBatch.of(scored, m.device());
      float[] train =
          Tensors.toFloats(
              b.trainingPass(m, new TrainOptions(false, 4, false), null, null, tau).logProbs());
      int width = b.width();
      int checked = 0;
      for (int row = 0; row < scored.size(); row++) {
        Sample x = scored.get(row).sample();
        for (int t = 0; t < x.length(); t++, checked++) {
          assertThat(train[row * width + t])
              .as("row %d token %d", row, t)
              .isCloseTo(x.logprobs()[t], within(2e-4f));
        }
      }
      assertThat(checked).isGreaterThan(10);
    }
  }
}
