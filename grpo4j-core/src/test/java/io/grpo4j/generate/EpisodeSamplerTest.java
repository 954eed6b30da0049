package io.grpo4j.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.grpo4j.model.MicroModels;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.torch.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class EpisodeSamplerTest {
  private static final Qwen2Model MODEL = MicroModels.random(MicroModels.config(2), 31);
  private static final ScheduledExecutorService LATER = Executors.newScheduledThreadPool(4);
  private static final List<int[]> PROMPTS =
      List.of(new int[] {1, 2, 3}, new int[] {7, 8, 9, 10, 11, 12}, new int[] {40});

  @AfterAll
  static void stop() {
    LATER.shutdownNow();
  }

  /**
   * An environment of a fixed shape: after model turn k < turns it answers an observation of {@code
   * 1 + (row + k) % 3} ids (different lengths per row, so returning rows are padded), and ends the
   * episode after turn {@code turns}; a turn also ends at id 7 (a "stop string"). With {@code
   * delayMs} > 0 each reply comes after a random delay up to it.
   */
  static final class Scripted implements EpisodeSampler.Turns {
    final int turns;
    final int delayMs;
    final java.util.Map<Integer, List<int[]>> observations = new ConcurrentHashMap<>();
    final java.util.Map<Integer, List<int[]>> turnsSeen = new ConcurrentHashMap<>();

    Scripted(int turns, int delayMs) {
      this.turns = turns;
      this.delayMs = delayMs;
    }

    @Override
    public boolean endsTurn(int row, int[] turn) {
      return turn[turn.length - 1] == 7;
    }

    int[] observation(int row, int turn) {
      int[] ids = new int[1 + (row + turn) % 3];
      for (int i = 0; i < ids.length; i++) ids[i] = 20 + (row * 7 + turn * 3 + i) % 25;
      return ids;
    }

    @Override
    public CompletableFuture<EpisodeSampler.Reply> turnEnded(
        int row, int turn, int[] turnIds, int room, boolean last) {
      turnsSeen.computeIfAbsent(row, r -> new ArrayList<>()).add(turnIds);
      EpisodeSampler.Reply reply;
      if (turn >= turns || last) {
        reply = EpisodeSampler.Reply.end();
      } else {
        int[] obs = observation(row, turn);
        observations.computeIfAbsent(row, r -> new ArrayList<>()).add(obs);
        reply = EpisodeSampler.Reply.observe(obs);
      }
      if (delayMs == 0) return CompletableFuture.completedFuture(reply);
      CompletableFuture<EpisodeSampler.Reply> f = new CompletableFuture<>();
      long ms = (long) (Math.random() * delayMs);
      LATER.schedule(() -> f.complete(reply), ms, TimeUnit.MILLISECONDS);
      return f;
    }
  }

  private static EpisodeSampler.Result run(SamplingParams p, EpisodeSampler.Turns turns, int n) {
    return new EpisodeSampler(MODEL, 50)
        .generate(PROMPTS, n, p, new EpisodeSampler.Limits(4, 100), turns);
  }

  /** log π(a_t | s_t) of every completion id, from one cache-free forward over prompt + ids. */
  private static float[] logProbsByOneForward(Sample s) {
    int lp = s.promptIds().length;
    int len = lp + s.length();
    long[][] ids = new long[1][len];
    long[][] valid = new long[1][len];
    for (int i = 0; i < lp; i++) ids[0][i] = s.promptIds()[i];
    for (int i = 0; i < s.length(); i++) ids[0][lp + i] = s.completionIds()[i];
    java.util.Arrays.fill(valid[0], 1);
    float[] out = new float[s.length()];
    try (PointerScope scope = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      Tensor logits =
          MicroModels.logits(
              MODEL, Tensors.longs(ids), Tensors.longs(valid).to(torch.ScalarType.Bool));
      Tensor logp = torch.log_softmax(logits.select(0, 0), -1); // [len, V]
      for (int t = 0; t < s.length(); t++) {
        out[t] = (float) logp.select(0, lp - 1 + t).select(0, s.completionIds()[t]).item_double();
      }
    }
    return out;
  }

  @Test
  void twoTurnEpisodesHaveTheLogProbsOfOneForwardOverTheWholeConversation() {
    Scripted env = new Scripted(2, 0);
    EpisodeSampler.Result r = run(SamplingParams.sample(5, Set.of(), 11), env, 3);
    assertThat(r.samples()).hasSize(9);
    for (int row = 0; row < 9; row++) {
      Sample s = r.samples().get(row);
      assertThat(r.failures().get(row)).isNull();
      assertThat(s.promptIndex()).isEqualTo(row / 3);
      assertThat(s.turns()).as("row %d", row).isEqualTo(2);
      // the completion is turn 1, the observation, turn 2
      int[] t1 = env.turnsSeen.get(row).get(0);
      int[] obs = env.observations.get(row).get(0);
      int[] t2 = env.turnsSeen.get(row).get(1);
      assertThat(s.length()).isEqualTo(t1.length + obs.length + t2.length);
      for (int i = 0; i < s.length(); i++) {
        boolean inObs = i >= t1.length && i < t1.length + obs.length;
        assertThat(s.isModelToken(i)).isEqualTo(!inObs);
        int expected =
            i < t1.length ? t1[i] : inObs ? obs[i - t1.length] : t2[i - t1.length - obs.length];
        assertThat(s.completionIds()[i]).isEqualTo(expected);
      }
      // at temperature 1 the sampling distribution is the model's: the log-probs recorded while
      // decoding (KV cache, observation prefilled into it) equal one forward over the whole
      // conversation at the model's positions; observations carry 0
      float[] full = logProbsByOneForward(s);
      for (int i = 0; i < s.length(); i++) {
        if (s.isModelToken(i)) {
          assertThat(s.logprobs()[i])
              .as("row %d token %d", row, i)
              .isCloseTo(full[i], within(1e-4f));
        } else {
          assertThat(s.logprobs()[i]).isZero();
          assertThat(s.entropies()[i]).isZero();
        }
      }
    }
    // turns ended by the stop rule (id 7) keep it as their last id; the others are 5 long
    for (List<int[]> ts : env.turnsSeen.values()) {
      for (int[] t : ts) {
        assertThat(t.length == 5 || t[t.length - 1] == 7).isTrue();
        for (int i = 0; i < t.length - 1; i++) assertThat(t[i]).isNotEqualTo(7);
      }
    }
  }

  @Test
  void withRepliesArrivingLateTheLogProbsStillEqualOneForward() {
    // rows leave the decode batch while they wait and rejoin in the order their replies arrive
    // (random delays): the cache rows they come back to must still give one forward's log-probs
    for (int delayMs : new int[] {2, 5, 15}) {
      Scripted env = new Scripted(3, delayMs);
      EpisodeSampler.Result r = run(SamplingParams.sample(4, Set.of(), 5 + delayMs), env, 4);
      for (int row = 0; row < r.samples().size(); row++) {
        Sample s = r.samples().get(row);
        assertThat(s.turns()).isEqualTo(3);
        float[] full = logProbsByOneForward(s);
        for (int i = 0; i < s.length(); i++) {
          if (s.isModelToken(i)) {
            assertThat(s.logprobs()[i])
                .as("delay %d row %d token %d", delayMs, row, i)
                .isCloseTo(full[i], within(1e-4f));
          }
        }
      }
    }
  }

  @Test
  void theOrderInWhichRepliesArriveDoesNotChangeTheEpisodes() {
    SamplingParams p = new SamplingParams(0.9, 0, 0.95, false, 4, Set.of(), 5);
    EpisodeSampler.Result instant = run(p, new Scripted(3, 0), 4);
    EpisodeSampler.Result delayed = run(p, new Scripted(3, 15), 4);
    for (int row = 0; row < instant.samples().size(); row++) {
      Sample a = instant.samples().get(row);
      Sample b = delayed.samples().get(row);
      assertThat(b.completionIds()).as("row %d", row).containsExactly(a.completionIds());
      assertThat(b.logprobs()).containsExactly(a.logprobs(), within(1e-5f));
      assertThat(a.turns()).isEqualTo(3);
    }
    // the 4 episodes of a prompt differ (own generators)
    assertThat(instant.samples().get(0).completionIds())
        .isNotEqualTo(instant.samples().get(1).completionIds());
  }

  @Test
  @Timeout(60)
  void aRowWaitingForItsEnvironmentDoesNotStallTheOthers() {
    int rows = PROMPTS.size() * 2;
    CompletableFuture<EpisodeSampler.Reply> held = new CompletableFuture<>();
    AtomicInteger othersDone = new AtomicInteger();
    EpisodeSampler.Turns turns =
        new EpisodeSampler.Turns() {
          @Override
          public boolean endsTurn(int row, int[] turn) {
            return false;
          }

          @Override
          public CompletableFuture<EpisodeSampler.Reply> turnEnded(
              int row, int turn, int[] ids, int room, boolean last) {
            if (row == 0 && turn == 1) return held; // released once every other row is done
            if (turn < 3 && !last)
              return CompletableFuture.completedFuture(
                  EpisodeSampler.Reply.observe(new int[] {30, 31}));
            if (row != 0 && othersDone.incrementAndGet() == rows - 1) {
              held.complete(EpisodeSampler.Reply.observe(new int[] {32}));
            }
            return CompletableFuture.completedFuture(EpisodeSampler.Reply.end());
          }
        };
    EpisodeSampler.Result r =
        new EpisodeSampler(MODEL, 50)
            .generate(
                PROMPTS,
                2,
                SamplingParams.sample(3, Set.of(), 1),
                new EpisodeSampler.Limits(3, 100),
                turns);
    // every other row played its three turns while row 0 waited after its first
    assertThat(othersDone.get()).isEqualTo(rows - 1);
    for (int row = 0; row < rows; row++) {
      assertThat(r.failures().get(row)).isNull();
      assertThat(r.samples().get(row).turns()).isEqualTo(3);
    }
  }

  @Test
  void aFailedReplyEndsOnlyItsEpisodeAndBrokenRepliesAreFailures() {
    EpisodeSampler.Turns turns =
        new EpisodeSampler.Turns() {
          @Override
          public boolean endsTurn(int row, int[] turn) {
            return false;
          }

          @Override
          public CompletableFuture<EpisodeSampler.Reply> turnEnded(
              int row, int turn, int[] ids, int room, boolean last) {
            return switch (row) {
              case 0 -> CompletableFuture.failedFuture(new IllegalStateException("env crashed"));
              case 1 -> // an observation after the last turn
                  CompletableFuture.completedFuture(EpisodeSampler.Reply.observe(new int[] {3}));
              case 2 -> // does not fit
                  CompletableFuture.completedFuture(
                      last
                          ? EpisodeSampler.Reply.end()
                          : EpisodeSampler.Reply.observe(new int[room]));
              case 3 -> // outside the vocabulary
                  CompletableFuture.completedFuture(
                      last
                          ? EpisodeSampler.Reply.end()
                          : EpisodeSampler.Reply.observe(new int[] {50}));
              default ->
                  CompletableFuture.completedFuture(
                      last
                          ? EpisodeSampler.Reply.end()
                          : EpisodeSampler.Reply.observe(new int[] {4}));
            };
          }
        };
    EpisodeSampler.Result r =
        new EpisodeSampler(MODEL, 50)
            .generate(
                PROMPTS,
                2,
                SamplingParams.sample(3, Set.of(), 2),
                new EpisodeSampler.Limits(1, 100),
                turns);
    assertThat(r.failures().get(0)).contains("env crashed");
    assertThat(r.failures().get(1)).contains("last turn must end");
    for (int row = 2; row < 6; row++) {
      assertThat(r.failures().get(row)).isNull(); // max_turns 1: the first turn is the last
      assertThat(r.samples().get(row).turns()).isEqualTo(1);
    }

    EpisodeSampler.Result two =
        new EpisodeSampler(MODEL, 50)
            .generate(
                PROMPTS,
                2,
                SamplingParams.sample(3, Set.of(), 2),
                new EpisodeSampler.Limits(2, 20),
                turns);
    assertThat(two.failures().get(2)).contains("does not fit");
    assertThat(two.failures().get(3)).contains("outside the vocabulary");
    for (int row = 4; row < 6; row++) {
      assertThat(two.failures().get(row)).isNull();
      assertThat(two.samples().get(row).turns()).isEqualTo(2);
    }
  }

  @Test
  void anEpisodeStopsAtItsTokenBudgetWithALastRequest() {
    List<Boolean> lasts = new java.util.concurrent.CopyOnWriteArrayList<>();
    EpisodeSampler.Turns turns =
        new EpisodeSampler.Turns() {
          @Override
          public boolean endsTurn(int row, int[] turn) {
            return false;
          }

          @Override
          public CompletableFuture<EpisodeSampler.Reply> turnEnded(
              int row, int turn, int[] ids, int room, boolean last) {
            lasts.add(last);
            return CompletableFuture.completedFuture(
                last ? EpisodeSampler.Reply.end() : EpisodeSampler.Reply.observe(new int[] {5, 6}));
          }
        };
    EpisodeSampler.Result r =
        new EpisodeSampler(MODEL, 50)
            .generate(
                List.of(new int[] {1, 2}),
                1,
                SamplingParams.sample(4, Set.of(), 3),
                new EpisodeSampler.Limits(10, 13),
                turns);
    Sample s = r.samples().get(0);
    // 4 + 2 + 4 + 2 = 12 tokens, then one more model token fills the 13: a 3rd turn cut to 1
    assertThat(s.length()).isEqualTo(13);
    assertThat(s.turns()).isEqualTo(3);
    assertThat(lasts).containsExactly(false, false, true);
    assertThat(s.finishReason()).isEqualTo(Sample.FinishReason.LENGTH);
  }
}
