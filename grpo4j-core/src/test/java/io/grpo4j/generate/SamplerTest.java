package io.grpo4j.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.grpo4j.model.MicroModels;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.torch.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class SamplerTest {
  private static final Qwen2Model MODEL = MicroModels.random(MicroModels.config(2), 21);

  /** Greedy decoding by re-running the whole sequence every step: no cache, no batching. */
  private static int[] greedyByRecomputation(int[] prompt, int steps) {
    List<Integer> seq = new ArrayList<>();
    for (int id : prompt) seq.add(id);
    int[] out = new int[steps];
    try (PointerScope s = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      for (int i = 0; i < steps; i++) {
        long[][] ids = {seq.stream().mapToLong(Integer::longValue).toArray()};
        long[][] valid = {new long[seq.size()]};
        Arrays.fill(valid[0], 1);
        Tensor logits =
            MicroModels.logits(
                MODEL, Tensors.longs(ids), Tensors.longs(valid).to(torch.ScalarType.Bool));
        int next = (int) logits.select(1, seq.size() - 1).argmax().item_long();
        out[i] = next;
        seq.add(next);
      }
    }
    return out;
  }

  @Test
  void greedyWithCacheEqualsGreedyByFullRecomputation() {
    List<int[]> prompts =
        List.of(new int[] {1, 2, 3}, new int[] {7, 8, 9, 10, 11, 12, 13}, new int[] {40});
    Rollout r = new Sampler(MODEL, 50).generate(prompts, 1, SamplingParams.greedy(12, Set.of()));
    for (int p = 0; p < prompts.size(); p++) {
      assertThat(r.samples().get(p).completionIds())
          .as("prompt %d", p)
          .containsExactly(greedyByRecomputation(prompts.get(p), 12));
      assertThat(r.samples().get(p).finishReason()).isEqualTo(Sample.FinishReason.LENGTH);
    }
  }

  @Test
  void sameSeedSameTokensOtherSeedOtherTokens() {
    List<int[]> prompts = List.of(new int[] {1, 2, 3}, new int[] {4, 5});
    Sampler s = new Sampler(MODEL, 50);
    Rollout a = s.generate(prompts, 4, SamplingParams.sample(16, Set.of(), 123));
    Rollout b = s.generate(prompts, 4, SamplingParams.sample(16, Set.of(), 123));
    Rollout c = s.generate(prompts, 4, SamplingParams.sample(16, Set.of(), 124));
    assertThat(a.samples()).hasSize(8);
    for (int i = 0; i < 8; i++) {
      assertThat(a.samples().get(i).completionIds())
          .containsExactly(b.samples().get(i).completionIds());
      assertThat(a.samples().get(i).promptIndex()).isEqualTo(i / 4);
    }
    boolean differs = false;
    for (int i = 0; i < 8; i++)
      differs |=
          !Arrays.equals(a.samples().get(i).completionIds(), c.samples().get(i).completionIds());
    assertThat(differs).isTrue();
    // the 4 samples of one prompt are not all identical (they share the prefill, not the
    // randomness)
    assertThat(
            Arrays.equals(a.samples().get(0).completionIds(), a.samples().get(1).completionIds())
                && Arrays.equals(
                    a.samples().get(1).completionIds(), a.samples().get(2).completionIds()))
        .isFalse();
  }

  @Test
  void logprobsAndEntropiesAreThoseOfTheModelAtTemperatureOne() {
    int[] prompt = {3, 1, 4, 1, 5};
    Rollout r =
        new Sampler(MODEL, 50).generate(List.of(prompt), 1, SamplingParams.sample(6, Set.of(), 9));
    Sample s = r.samples().get(0);
    try (PointerScope sc = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      long[] seq = new long[prompt.length + s.length()];
      for (int i = 0; i < prompt.length; i++) seq[i] = prompt[i];
      for (int i = 0; i < s.length(); i++) seq[prompt.length + i] = s.completionIds()[i];
      long[] valid = new long[seq.length];
      Arrays.fill(valid, 1);
      Tensor logp =
          torch.log_softmax(
              MicroModels.logits(
                  MODEL,
                  Tensors.longs(new long[][] {seq}),
                  Tensors.longs(new long[][] {valid}).to(torch.ScalarType.Bool)),
              -1);
      for (int i = 0; i < s.length(); i++) {
        double[] dist = Tensors.toDoubles(logp.select(1, prompt.length - 1 + i).squeeze(0));
        double entropy = 0;
        for (double l : dist) entropy -= Math.exp(l) * l;
        assertThat((double) s.logprobs()[i])
            .isCloseTo(dist[s.completionIds()[i]], org.assertj.core.data.Offset.offset(1e-4));
        assertThat((double) s.entropies()[i])
            .isCloseTo(entropy, org.assertj.core.data.Offset.offset(1e-4));
      }
    }
  }

  @Test
  void stopTokensEndARowAndAreKept() {
    // stop on every id: each completion is exactly one token long
    Set<Integer> all = new java.util.HashSet<>();
    for (int i = 0; i < 50; i++) all.add(i);
    Rollout r =
        new Sampler(MODEL, 50)
            .generate(List.of(new int[] {1, 2}), 3, SamplingParams.sample(10, all, 1));
    for (Sample s : r.samples()) {
      assertThat(s.length()).isEqualTo(1);
      assertThat(s.finishReason()).isEqualTo(Sample.FinishReason.STOP);
    }
  }

  @Test
  void topKOneIsGreedyAndVocabularyLimitIsRespected() {
    List<int[]> prompts = List.of(new int[] {9, 8, 7});
    Rollout greedy =
        new Sampler(MODEL, 50).generate(prompts, 1, SamplingParams.greedy(8, Set.of()));
    Rollout topOne =
        new Sampler(MODEL, 50)
            .generate(prompts, 2, new SamplingParams(0.7, 1, 1.0, false, 8, Set.of(), 5));
    assertThat(topOne.samples().get(0).completionIds())
        .containsExactly(greedy.samples().get(0).completionIds());
    assertThat(topOne.samples().get(0).entropies()[0]).isEqualTo(0f);
    Rollout limited =
        new Sampler(MODEL, 20)
            .generate(prompts, 8, new SamplingParams(2.0, 0, 0.95, false, 20, Set.of(), 3));
    for (Sample s : limited.samples())
      for (int id : s.completionIds()) assertThat(id).isLessThan(20);
  }

  @Test
  void badRequestsAreRefusedClearly() {
    Sampler s = new Sampler(MODEL, 50);
    assertThatThrownBy(
            () -> s.generate(List.of(new int[] {}), 1, SamplingParams.greedy(4, Set.of())))
        .hasMessageContaining("empty prompt");
    assertThatThrownBy(
            () -> s.generate(List.of(new int[] {99}), 1, SamplingParams.greedy(4, Set.of())))
        .hasMessageContaining("outside the vocabulary");
    assertThatThrownBy(
            () -> s.generate(List.of(new int[] {1}), 1, SamplingParams.greedy(500, Set.of())))
        .hasMessageContaining("max_position_embeddings");
    assertThatThrownBy(() -> SamplingParams.sample(0, Set.of(), 1))
        .hasMessageContaining("max_new_tokens");
  }

  /**
   * The static-cache device loop gives the dynamic loop's samples: same tokens and finish reasons
   * (greedy, and sampled with the same seed, with stop tokens that end rows at different steps),
   * log-probs and entropies equal to float rounding, completions cut at the first stop token.
   */
  @Test
  void staticDecodeEqualsDynamicDecode() {
    List<int[]> prompts =
        List.of(new int[] {1, 2, 3}, new int[] {7, 8, 9, 10, 11, 12, 13}, new int[] {40});
    int stopRows = 0;
    for (SamplingParams p :
        List.of(
            SamplingParams.greedy(20, Set.of(5, 17)),
            SamplingParams.sample(20, Set.of(3, 11, 29), 7),
            new SamplingParams(0.8, 10, 0.9, false, 19, Set.of(2, 30), 99))) {
      Rollout a = new Sampler(MODEL, 48).generate(prompts, 3, p);
      Rollout b = new Sampler(MODEL, 48, Sampler.Decode.STATIC).generate(prompts, 3, p);
      assertThat(b.samples()).hasSameSizeAs(a.samples());
      for (int i = 0; i < a.samples().size(); i++) {
        Sample x = a.samples().get(i);
        Sample y = b.samples().get(i);
        assertThat(y.completionIds()).as("row %d", i).containsExactly(x.completionIds());
        assertThat(y.finishReason()).as("row %d", i).isEqualTo(x.finishReason());
        for (int t = 0; t < x.logprobs().length; t++) {
          assertThat((double) y.logprobs()[t]).isCloseTo(x.logprobs()[t], within(1e-4));
          assertThat((double) y.entropies()[t]).isCloseTo(x.entropies()[t], within(1e-4));
        }
        if (x.finishReason() == Sample.FinishReason.STOP) stopRows++;
      }
    }
    assertThat(stopRows)
        .as("some rows must stop early for the test to mean something")
        .isPositive();
  }

  @Test
  void cudaGraphDecodeIsRefusedOnTheCpu() {
    assertThatThrownBy(() -> new Sampler(MODEL, 50, Sampler.Decode.CUDA_GRAPH))
        .hasMessageContaining("cuda_graph")
        .hasMessageContaining("CUDA device");
    assertThat(Sampler.Decode.parse("cuda-graph")).isEqualTo(Sampler.Decode.CUDA_GRAPH);
    assertThatThrownBy(() -> Sampler.Decode.parse("fast")).hasMessageContaining("dynamic");
  }
}
