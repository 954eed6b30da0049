package io.grpo4j.task.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import io.grpo4j.task.TestPython;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The JSON Lines protocol against a real program
 * (grpo4j-train/src/test/resources/reward/fake_reward.py).
 */
class CommandRewardTest {

  static String program(String args) {
    try {
      Path p = Path.of(CommandRewardTest.class.getResource("/reward/fake_reward.py").toURI());
      // the interpreter itself, not a shim that is slow to start (TestPython)
      return TestPython.command(p, args);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static List<RewardRequest> batch(String... completions) {
    List<RewardRequest> out = new ArrayList<>();
    for (int i = 0; i < completions.length; i++) {
      out.add(
          new RewardRequest(
              "r" + i,
              TextNode.valueOf("question " + i),
              completions[i],
              JsonNodeFactory.instance.numberNode(i),
              JsonNodeFactory.instance.objectNode().put("level", i)));
    }
    return out;
  }

  @Test
  void everyRequestReachesTheProgramAndItsRewardsComeBackInOrder() {
    try (CommandReward r = new CommandReward(program("len"), 2, Duration.ofSeconds(20), null)) {
      List<Judgement> got = r.judge(batch("a", "abcd", "héllo", "", "xyz"));
      assertThat(got).extracting(Judgement::reward).containsExactly(1.0, 4.0, 5.0, 0.0, 3.0);
      assertThat(got).extracting(Judgement::failed).containsOnly(false);
      assertThat(got).extracting(Judgement::success).containsExactly(true, true, true, false, true);
      // answer and metadata travel to the program untouched
      assertThat(got.get(2).reason()).isEqualTo("answer=2 meta={\"level\": 2}");
      assertThat(got.get(1).prefixScores().at(3)).isEqualTo(0.2);
      // the program's stderr is kept for error messages
      assertThat(r.diagnostics()).contains("fake reward ready");
      // the same programs serve the next batch
      assertThat(r.judge(batch("zz")).get(0).reward()).isEqualTo(2.0);
    }
  }

  @Test
  void responsesOutOfOrderAreMatchedById() {
    try (CommandReward r =
        new CommandReward(program("reverse 3"), 1, Duration.ofSeconds(20), null)) {
      List<RewardRequest> b = batch("a", "b", "c");
      List<Judgement> got = r.judge(b);
      assertThat(got).extracting(Judgement::reward).containsExactly(1.0, 1.0, 1.0);
      assertThat(got).extracting(Judgement::failed).containsOnly(false);
    }
  }

  @Test
  void aCrashFailsTheOutstandingRequestsAndTheProgramRestarts() {
    try (CommandReward r = new CommandReward(program("len"), 1, Duration.ofSeconds(20), null)) {
      List<Judgement> got = r.judge(batch("ok", "crash", "later"));
      assertThat(got.get(0).failed()).isFalse();
      assertThat(got.get(0).reward()).isEqualTo(2.0);
      assertThat(got.get(1).failed()).isTrue();
      assertThat(got.get(1).reason()).contains("exited with code 3");
      assertThat(got.get(2).failed()).isTrue();
      assertThat(r.diagnostics()).contains("boom");
      assertThat(r.judge(batch("again")).get(0).reward()).isEqualTo(5.0);
    }
  }

  // The timeout covers the restarted program's start too: python3 behind a pyenv shim takes 1-2 s
  // to
  // start on a busy 2-core machine, so 1.5 s failed there; 6 s leaves room and still bounds the
  // hang.
  @Test
  void aHangingProgramTimesOutIsKilledAndRestarts() {
    try (CommandReward r = new CommandReward(program("len"), 1, Duration.ofSeconds(6), null)) {
      List<Judgement> got = r.judge(batch("fine", "hang"));
      assertThat(got.get(0).reward()).isEqualTo(4.0);
      assertThat(got.get(1).failed()).isTrue();
      assertThat(got.get(1).reason()).contains("timed out").contains("reward.timeout_s");
      assertThat(r.judge(batch("abc")).get(0).reward()).isEqualTo(3.0);
    }
  }

  @Test
  void malformedOutputStrayIdsAndErrorsAreReportedNotScored() {
    try (CommandReward r = new CommandReward(program("len"), 1, Duration.ofSeconds(20), null)) {
      List<Judgement> got = r.judge(batch("stray", "error", "garbage", "after"));
      assertThat(got.get(0).failed()).isFalse(); // the stray response is ignored
      assertThat(got.get(0).reward()).isEqualTo(5.0);
      assertThat(got.get(1).failed()).isTrue();
      assertThat(got.get(1).reason()).contains("cannot judge this");
      assertThat(got.get(2).failed()).isTrue();
      assertThat(got.get(2).reason()).contains("not JSON").contains("this is not json");
      assertThat(got.get(3).failed()).isTrue();
      assertThat(r.judge(batch("x")).get(0).reward()).isEqualTo(1.0);
    }
  }

  @Test
  void aProgramThatNeverWorksStopsTheRunWithItsStderr() {
    RewardConfig cfg =
        new RewardConfig(
            List.of(new RewardConfig.Source("command", 1.0, program("dead"), null, null, null)),
            1,
            20,
            0,
            0,
            2);
    try (Rewards rewards = Rewards.create(cfg, null)) {
      List<Judgement> first = rewards.judge(batch("a", "b"));
      assertThat(first).extracting(Judgement::failed).containsOnly(true);
      assertThat(first.get(0).reason()).contains("exited with code 1");
      assertThatThrownBy(() -> rewards.judge(batch("a")))
          .isInstanceOf(RewardFailureException.class)
          .hasMessageContaining("reward.max_failed_batches")
          .hasMessageContaining("cannot load model");
    }
  }
}
