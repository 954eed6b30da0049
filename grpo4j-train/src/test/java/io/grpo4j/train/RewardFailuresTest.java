package io.grpo4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpo4j.eval.ScoredSample;
import io.grpo4j.eval.Scoring;
import io.grpo4j.generate.Sample;
import io.grpo4j.task.Outcome;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RewardFailuresTest {

  static Scoring.Result ok(int prompt, double reward) {
    Sample s =
        new Sample(
            prompt,
            new int[] {1},
            new int[] {2, 3},
            new float[2],
            new float[2],
            Sample.FinishReason.STOP);
    return new Scoring.Result(
        new ScoredSample(s, "t", new double[] {0, reward}, new Outcome(reward, reward > 0, "")),
        "t",
        null);
  }

  static Scoring.Result failed(String why) {
    return new Scoring.Result(null, "t", why);
  }

  @Test
  void aGroupWithAnyFailureIsDroppedWholeAndCounted() {
    // 3 groups of 2: group 1 has one failure
    List<Scoring.Result> results =
        List.of(ok(0, 1), ok(0, 0), ok(1, 1), failed("timed out"), ok(2, 0.5), ok(2, 0));
    RewardFailures f = RewardFailures.of(results, 2);
    assertThat(f.failures()).isEqualTo(1);
    assertThat(f.droppedGroups()).isEqualTo(1);
    assertThat(f.firstFailure()).isEqualTo("timed out");
    // groups 0 and 2 are kept
    assertThat(f.kept()).extracting(x -> x.outcome().reward()).containsExactly(1.0, 0.0, 0.5, 0.0);
    // prompt indices are renumbered densely over the kept groups
    assertThat(f.kept()).extracting(x -> x.sample().promptIndex()).containsExactly(0, 0, 1, 1);
  }

  @Test
  void allFailedLeavesNothingAndNoFailureLeavesEverything() {
    List<Scoring.Result> bad = new ArrayList<>();
    for (int i = 0; i < 4; i++) bad.add(failed("down"));
    RewardFailures none = RewardFailures.of(bad, 2);
    assertThat(none.kept()).isEmpty();
    assertThat(none.failures()).isEqualTo(4);
    assertThat(none.droppedGroups()).isEqualTo(2);
    RewardFailures all = RewardFailures.of(List.of(ok(0, 1), ok(0, 1)), 2);
    assertThat(all.kept()).hasSize(2);
    assertThat(all.firstFailure()).isNull();
    assertThatThrownBy(() -> RewardFailures.of(List.of(ok(0, 1)), 2))
        .hasMessageContaining("groups of 2");
  }
}
