package io.grpo4j.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpo4j.model.LoraAdapters;
import io.grpo4j.model.LoraConfig;
import io.grpo4j.model.MicroModels;
import io.grpo4j.model.Qwen2Model;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class BatchEngineTest {
  private static final Qwen2Model MODEL = MicroModels.random(MicroModels.config(2), 21);
  private static final Device CPU = new Device("cpu");

  /** Collects one request's completions; completes when every choice finished. */
  static class Collector implements TokenListener {
    final List<List<Integer>> ids = new ArrayList<>();
    final Sample.FinishReason[] finish;
    final int[] counts;
    final CompletableFuture<Collector> done = new CompletableFuture<>();
    int open;

    Collector(int n) {
      for (int i = 0; i < n; i++) ids.add(new ArrayList<>());
      finish = new Sample.FinishReason[n];
      counts = new int[n];
      open = n;
    }

    @Override
    public boolean onToken(int choice, GeneratedToken token) {
      ids.get(choice).add(token.id());
      return true;
    }

    @Override
    public void onFinish(int choice, Sample.FinishReason reason, int completionTokens) {
      finish[choice] = reason;
      counts[choice] = completionTokens;
      if (--open == 0) done.complete(this);
    }

    @Override
    public void onError(RuntimeException error) {
      done.completeExceptionally(error);
    }

    int[] tokens(int choice) {
      return ids.get(choice).stream().mapToInt(Integer::intValue).toArray();
    }

    Collector await() throws Exception {
      return done.get(30, TimeUnit.SECONDS);
    }
  }

  private static int[] alone(int[] prompt, SamplingParams p) {
    return new Sampler(MODEL, 50).generate(List.of(prompt), 1, p).samples().get(0).completionIds();
  }

  @Test
  void continuousBatchingGivesTheSameGreedyTokensAsOneAtATime() throws Exception {
    List<int[]> prompts =
        List.of(
            new int[] {1, 2, 3},
            new int[] {7, 8, 9, 10, 11, 12, 13},
            new int[] {40},
            new int[] {5, 5, 5, 5},
            new int[] {30, 31},
            new int[] {17, 3, 9, 44, 2, 8, 8, 1, 6});
    int[] lengths = {12, 5, 20, 9, 15, 7};
    // 3 slots for 6 requests: later ones wait, join running batches, and reuse freed (compacted)
    // slots
    try (BatchEngine engine = new BatchEngine(MODEL, 50, 3, 64, 16)) {
      List<Collector> cs = new ArrayList<>();
      for (int i = 0; i < prompts.size(); i++) {
        Collector c = new Collector(1);
        engine.submit(
            new GenerationRequest(
                prompts.get(i), 1, SamplingParams.greedy(lengths[i], Set.of()), 0),
            c);
        cs.add(c);
      }
      for (int i = 0; i < prompts.size(); i++) {
        Collector c = cs.get(i).await();
        assertThat(c.tokens(0))
            .as("prompt %d", i)
            .containsExactly(alone(prompts.get(i), SamplingParams.greedy(lengths[i], Set.of())));
        assertThat(c.finish[0]).isEqualTo(Sample.FinishReason.LENGTH);
        assertThat(c.counts[0]).isEqualTo(lengths[i]);
      }
      assertThat(engine.stats().running()).isZero();
    }
  }

  /**
   * Several LoRA adapters on one base: requests for the base and for two adapters, interleaved in
   * the same batches, each get the greedy tokens of their own model run alone.
   */
  @Test
  void requestsForDifferentAdaptersShareBatchesAndEachSeeTheirOwnModel() throws Exception {
    LoraAdapters x = LoraAdapters.initialize(MODEL.config(), LoraConfig.of(2, 4), 1, CPU);
    LoraAdapters y =
        LoraAdapters.initialize(
            MODEL.config(), new LoraConfig(3, 3, 0, List.of("q_proj", "up_proj"), false), 2, CPU);
    try (NoGradGuard ng = new NoGradGuard()) {
      torch.manual_seed(4);
      for (LoraAdapters a : List.of(x, y))
        for (LoraAdapters.Pair p : a.modules().values())
          p.b().copy_(torch.randn(io.grpo4j.torch.Tensors.shape(p.b())).mul(new Scalar(0.5)));
    }
    List<int[]> prompts =
        List.of(new int[] {1, 2, 3}, new int[] {7, 8, 9, 10}, new int[] {40}, new int[] {5, 5});
    String[] names = {null, "x", "y", "x"};
    Qwen2Model[] own = {MODEL, MODEL.withLora(x), MODEL.withLora(y), MODEL.withLora(x)};
    SamplingParams p = SamplingParams.greedy(10, Set.of());
    try (BatchEngine engine = new BatchEngine(MODEL, Map.of("x", x, "y", y), 50, 3, 64, 16)) {
      List<Collector> cs = new ArrayList<>();
      for (int i = 0; i < prompts.size(); i++) {
        Collector c = new Collector(1);
        engine.submit(new GenerationRequest(prompts.get(i), 1, p, 0, names[i]), c);
        cs.add(c);
      }
      List<int[]> served = new ArrayList<>();
      for (int i = 0; i < prompts.size(); i++) {
        int[] expected =
            new Sampler(own[i], 50)
                .generate(List.of(prompts.get(i)), 1, p)
                .samples()
                .get(0)
                .completionIds();
        served.add(cs.get(i).await().tokens(0));
        assertThat(served.get(i)).as("request %d (%s)", i, names[i]).containsExactly(expected);
      }
      // the adapters change what is sampled (else the test could not tell them apart)
      assertThat(served.get(1)).isNotEqualTo(alone(prompts.get(1), p));
      assertThatThrownBy(
              () ->
                  engine.submit(
                      new GenerationRequest(new int[] {1}, 1, p, 0, "z"), new Collector(1)))
          .hasMessageContaining("no adapter named 'z'");
    }
  }

  @Test
  void seededSamplingGivesTheSameTokensAsTheRolloutSampler() throws Exception {
    // Both paths share Vocabulary, LogitsWarper and CategoricalSampler: same seed, same tokens.
    int[] prompt = {3, 1, 4, 1, 5};
    SamplingParams p = new SamplingParams(0.8, 10, 0.9, false, 16, Set.of(), 5);
    try (BatchEngine engine = new BatchEngine(MODEL, 40, 4, 64, 4)) {
      Collector c = new Collector(1);
      engine.submit(new GenerationRequest(prompt, 1, p, 0), c);
      int[] served = c.await().tokens(0);
      assertThat(served)
          .containsExactly(
              new Sampler(MODEL, 40)
                  .generate(List.of(prompt), 1, p)
                  .samples()
                  .get(0)
                  .completionIds());
      assertThat(java.util.Arrays.stream(served).max().orElse(0)).isLessThan(40);
    }
  }

  @Test
  void seededSamplingDoesNotDependOnWhatElseIsInTheBatch() throws Exception {
    int[] prompt = {3, 1, 4, 1, 5};
    SamplingParams p = new SamplingParams(0.8, 0, 0.9, false, 16, Set.of(), 77);
    try (BatchEngine engine = new BatchEngine(MODEL, 50, 8, 64, 16)) {
      Collector aloneRun = new Collector(1);
      engine.submit(new GenerationRequest(prompt, 1, p, 0), aloneRun);
      aloneRun.await();
      List<Collector> crowd = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Collector c = new Collector(1);
        engine.submit(
            new GenerationRequest(
                new int[] {9, 8, 7 + i}, 1, SamplingParams.sample(16, Set.of(), i), 0),
            c);
        crowd.add(c);
      }
      Collector crowded = new Collector(1);
      engine.submit(new GenerationRequest(prompt, 1, p, 0), crowded);
      assertThat(crowded.await().tokens(0)).containsExactly(aloneRun.tokens(0));
      for (Collector c : crowd) c.await();

      // n completions: choice c samples with seed + c
      Collector three = new Collector(3);
      engine.submit(new GenerationRequest(prompt, 3, p, 0), three);
      three.await();
      for (int c = 0; c < 3; c++) {
        Collector single = new Collector(1);
        SamplingParams pc = new SamplingParams(0.8, 0, 0.9, false, 16, Set.of(), 77 + c);
        engine.submit(new GenerationRequest(prompt, 1, pc, 0), single);
        assertThat(three.tokens(c)).as("choice %d", c).containsExactly(single.await().tokens(0));
      }
      assertThat(three.tokens(0)).isNotEqualTo(three.tokens(1));
    }
  }

  @Test
  void stopIdsAndListenerStopsEndACompletion() throws Exception {
    int[] prompt = {1, 2, 3};
    int[] free = alone(prompt, SamplingParams.greedy(12, Set.of()));
    int stopId = free[4];
    int firstAt = 0;
    while (free[firstAt] != stopId) firstAt++;
    try (BatchEngine engine = new BatchEngine(MODEL, 50, 4, 64, 16)) {
      Collector c = new Collector(1);
      engine.submit(
          new GenerationRequest(prompt, 1, SamplingParams.greedy(12, Set.of(stopId)), 0), c);
      c.await();
      assertThat(c.finish[0]).isEqualTo(Sample.FinishReason.STOP);
      assertThat(c.tokens(0))
          .containsExactly(java.util.Arrays.copyOf(free, firstAt)); // stop id not passed on
      assertThat(c.counts[0]).isEqualTo(firstAt + 1); // but counted

      Collector three =
          new Collector(1) {
            @Override
            public boolean onToken(int choice, GeneratedToken token) {
              super.onToken(choice, token);
              return ids.get(choice).size() < 3;
            }
          };
      engine.submit(
          new GenerationRequest(prompt, 1, SamplingParams.greedy(12, Set.of()), 0), three);
      three.await();
      assertThat(three.tokens(0)).containsExactly(java.util.Arrays.copyOf(free, 3));
      assertThat(three.finish[0]).isEqualTo(Sample.FinishReason.STOP);
    }
  }

  @Test
  void logprobsAreTheModelsAndTopAlternativesAreSorted() throws Exception {
    try (BatchEngine engine = new BatchEngine(MODEL, 50, 2, 64, 4)) {
      List<GeneratedToken> got = new ArrayList<>();
      CompletableFuture<Void> done = new CompletableFuture<>();
      engine.submit(
          new GenerationRequest(new int[] {4, 2}, 1, SamplingParams.greedy(5, Set.of()), 3),
          new TokenListener() {
            public boolean onToken(int choice, GeneratedToken t) {
              got.add(t);
              return true;
            }

            public void onFinish(int choice, Sample.FinishReason r, int n) {
              done.complete(null);
            }

            public void onError(RuntimeException e) {
              done.completeExceptionally(e);
            }
          });
      done.get(30, TimeUnit.SECONDS);
      assertThat(got).hasSize(5);
      for (GeneratedToken t : got) {
        assertThat(t.topIds()).hasSize(3);
        assertThat(t.topIds()[0]).isEqualTo(t.id()); // greedy: the chosen token is the most likely
        assertThat(t.topLogprobs()[0]).isEqualTo(t.logprob());
        assertThat(t.topLogprobs()[0]).isGreaterThanOrEqualTo(t.topLogprobs()[1]);
        assertThat(t.topLogprobs()[1]).isGreaterThanOrEqualTo(t.topLogprobs()[2]);
        assertThat(t.logprob()).isLessThanOrEqualTo(0f);
      }
    }
  }

  @Test
  void fullQueueIsRefusedAndCancellingFreesTheSlot() throws Exception {
    CountDownLatch firstToken = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (BatchEngine engine = new BatchEngine(MODEL, 50, 1, 64, 1)) {
      Collector blocker =
          new Collector(1) {
            @Override
            public boolean onToken(int choice, GeneratedToken token) {
              firstToken.countDown();
              try {
                release.await(); // holds the engine thread: the one slot stays taken
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return super.onToken(choice, token);
            }
          };
      BatchEngine.Ticket a =
          engine.submit(
              new GenerationRequest(new int[] {1}, 1, SamplingParams.greedy(50, Set.of()), 0),
              blocker);
      assertThat(firstToken.await(30, TimeUnit.SECONDS)).isTrue();
      Collector waiting = new Collector(1);
      engine.submit(
          new GenerationRequest(new int[] {2}, 1, SamplingParams.greedy(4, Set.of()), 0), waiting);
      assertThatThrownBy(
              () ->
                  engine.submit(
                      new GenerationRequest(
                          new int[] {3}, 1, SamplingParams.greedy(4, Set.of()), 0),
                      new Collector(1)))
          .isInstanceOf(QueueFullException.class);
      assertThat(engine.stats().queued()).isEqualTo(1);
      a.cancel();
      release.countDown();
      assertThat(waiting.await().tokens(0)).hasSize(4);
      assertThat(blocker.ids.get(0).size()).isLessThan(50);
      assertThat(blocker.done).isNotDone(); // a cancelled request gets no finish callback
    }
  }

  @Test
  void requestsThatCanNeverRunAreRejectedAtOnce() {
    try (BatchEngine engine = new BatchEngine(MODEL, 50, 2, 16, 4)) {
      assertThatThrownBy(
              () ->
                  engine.submit(
                      new GenerationRequest(new int[10], 1, SamplingParams.greedy(7, Set.of()), 0),
                      new Collector(1)))
          .hasMessageContaining("exceeds the maximum model length 16");
      assertThatThrownBy(
              () ->
                  engine.submit(
                      new GenerationRequest(
                          new int[] {1}, 3, SamplingParams.greedy(2, Set.of()), 0),
                      new Collector(3)))
          .hasMessageContaining("n = 3 exceeds the batch size 2");
      assertThatThrownBy(
              () ->
                  engine.submit(
                      new GenerationRequest(
                          new int[] {99}, 1, SamplingParams.greedy(2, Set.of()), 0),
                      new Collector(1)))
          .hasMessageContaining("outside the vocabulary");
    }
  }
}
