package io.grpo4j.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpo4j.model.MicroModels;
import io.grpo4j.model.Qwen2Model;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The serving engine's fixed-shape decode (STATIC; CUDA_GRAPH replays it) against DYNAMIC. */
class BatchEngineStaticTest {
  private static final Qwen2Model MODEL = MicroModels.random(MicroModels.config(2), 21);

  /** Token ids and log-probs of every choice of one request. */
  static final class Recorder extends BatchEngineTest.Collector {
    final List<List<Float>> logprobs = new ArrayList<>();

    Recorder(int n) {
      super(n);
      for (int i = 0; i < n; i++) logprobs.add(new ArrayList<>());
    }

    @Override
    public boolean onToken(int choice, GeneratedToken token) {
      logprobs.get(choice).add(token.logprob());
      return super.onToken(choice, token);
    }
  }

  private record Req(int[] prompt, int n, SamplingParams params) {}

  /**
   * 7 requests (greedy and seeded sampling, n up to 3, prompts of 1 to 40 tokens, up to 80 new
   * tokens) through 8 slots, submitted in two waves so that requests join running batches: the
   * occupied slots pass through the row buckets 1, 2, 4, 8 and the lengths through the column
   * buckets 64 and 128.
   */
  private static List<Recorder> serve(Sampler.Decode decode) throws Exception {
    int[] longPrompt = new int[40];
    for (int i = 0; i < longPrompt.length; i++) longPrompt[i] = (i * 7 + 3) % 49;
    List<Req> wave1 =
        List.of(
            new Req(new int[] {1, 2, 3}, 1, SamplingParams.greedy(70, Set.of())),
            new Req(longPrompt, 2, SamplingParams.greedy(80, Set.of())),
            new Req(new int[] {40}, 1, new SamplingParams(0.9, 0, 0.95, false, 30, Set.of(), 11)));
    List<Req> wave2 =
        List.of(
            new Req(
                new int[] {5, 5, 5, 5}, 3, new SamplingParams(1.0, 8, 1.0, false, 25, Set.of(), 3)),
            new Req(new int[] {30, 31}, 1, SamplingParams.greedy(9, Set.of())),
            new Req(new int[] {17, 3, 9, 44, 2, 8}, 1, SamplingParams.greedy(50, Set.of(7))),
            new Req(new int[] {9}, 1, SamplingParams.greedy(3, Set.of())));
    List<Recorder> out = new ArrayList<>();
    try (BatchEngine engine = new BatchEngine(MODEL, 50, 8, 128, 16, decode)) {
      assertThat(engine.decode()).isEqualTo(decode);
      for (Req r : wave1) out.add(submit(engine, r));
      out.get(2).await(); // the short sampled one has finished: the others are mid-way
      for (Req r : wave2) out.add(submit(engine, r));
      for (Recorder r : out) r.await();
      assertThat(engine.stats().decodeSteps())
          .isGreaterThanOrEqualTo(79); // 80 tokens: 1 from the prefill
    }
    return out;
  }

  private static Recorder submit(BatchEngine engine, Req r) {
    Recorder c = new Recorder(r.n());
    engine.submit(new GenerationRequest(r.prompt(), r.n(), r.params(), 0), c);
    return c;
  }

  @Test
  void staticDecodeGivesTheSameTokensAsDynamic() throws Exception {
    List<Recorder> dynamic = serve(Sampler.Decode.DYNAMIC);
    List<Recorder> fixed = serve(Sampler.Decode.STATIC);
    int tokens = 0;
    for (int r = 0; r < dynamic.size(); r++) {
      Recorder a = dynamic.get(r);
      Recorder b = fixed.get(r);
      for (int c = 0; c < a.ids.size(); c++) {
        assertThat(b.tokens(c)).as("request %d choice %d", r, c).containsExactly(a.tokens(c));
        assertThat(b.finish[c]).isEqualTo(a.finish[c]);
        for (int i = 0; i < a.logprobs.get(c).size(); i++) {
          assertThat((double) b.logprobs.get(c).get(i))
              .as("request %d choice %d token %d", r, c, i)
              .isCloseTo(a.logprobs.get(c).get(i), org.assertj.core.data.Offset.offset(1e-4));
        }
        tokens += a.ids.get(c).size();
      }
    }
    // the long request ran past column 64 (prompt 40 + 80 new tokens)
    assertThat(dynamic.get(1).tokens(0)).hasSize(80);
    assertThat(tokens).isGreaterThan(300);
  }

  @Test
  void bucketsArePowersOfTwoCappedByTheLimits() {
    assertThat(BatchEngine.rowBucket(1, 32)).isEqualTo(1);
    assertThat(BatchEngine.rowBucket(3, 32)).isEqualTo(4);
    assertThat(BatchEngine.rowBucket(17, 32)).isEqualTo(32);
    assertThat(BatchEngine.rowBucket(5, 6)).isEqualTo(6);
    assertThat(BatchEngine.columnBucket(0, 4096)).isEqualTo(64);
    assertThat(BatchEngine.columnBucket(63, 4096)).isEqualTo(64);
    assertThat(BatchEngine.columnBucket(64, 4096)).isEqualTo(128);
    assertThat(BatchEngine.columnBucket(200, 300)).isEqualTo(256);
    assertThat(BatchEngine.columnBucket(299, 300)).isEqualTo(300);
  }

  @Test
  void cudaGraphsOnACpuAreRefusedWithTheReason() {
    assertThatThrownBy(
            () -> new BatchEngine(MODEL, 50, 2, 64, 4, Sampler.Decode.CUDA_GRAPH).close())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cuda_graph")
        .hasMessageContaining("CUDA device");
  }
}
