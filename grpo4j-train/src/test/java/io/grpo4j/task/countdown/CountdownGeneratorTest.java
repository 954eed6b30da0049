package io.grpo4j.task.countdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CountdownGeneratorTest {
  final CountdownGenerator generator = new CountdownGenerator(CountdownSettings.DEFAULTS);

  @Test
  void sameSeedSameDataset() {
    assertThat(generator.dataset(11, 50, 0.2)).isEqualTo(generator.dataset(11, 50, 0.2));
    assertThat(generator.dataset(11, 50, 0.2)).isNotEqualTo(generator.dataset(12, 50, 0.2));
  }

  @Test
  void datasetIsDeduplicatedAndSplitWithoutOverlap() {
    CountdownGenerator.Dataset d = generator.dataset(3, 400, 0.25);
    assertThat(d.train()).hasSize(300);
    assertThat(d.test()).hasSize(100);
    Set<String> trainKeys = new HashSet<>();
    d.train().forEach(i -> trainKeys.add(i.key()));
    Set<String> testKeys = new HashSet<>();
    d.test().forEach(i -> testKeys.add(i.key()));
    assertThat(trainKeys).hasSize(300);
    assertThat(testKeys).hasSize(100);
    assertThat(trainKeys).doesNotContainAnyElementsOf(testKeys);
  }

  @Test
  void impossibleRequestsFailWithAClearMessage() {
    CountdownSettings tiny =
        new CountdownSettings(2, 2, 1, 2, 1, 100, 1, 6, true, false, false, Rules.DEFAULT_BOUND);
    assertThatThrownBy(() -> new CountdownGenerator(tiny).dataset(1, 100, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("distinct instances");
    CountdownSettings noTarget =
        new CountdownSettings(2, 2, 1, 2, 500, 600, 1, 6, true, false, false, Rules.DEFAULT_BOUND);
    assertThatThrownBy(() -> new CountdownGenerator(noTarget).draw(1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("too narrow");
    assertThatThrownBy(() -> generator.dataset(1, 10, 1.0)).hasMessageContaining("--test-fraction");
  }

  @Test
  void settingsAreValidated() {
    assertThatThrownBy(
            () ->
                new CountdownSettings(
                    3, 9, 1, 25, 10, 100, 1, 6, true, false, false, Rules.DEFAULT_BOUND))
        .hasMessageContaining("2..8");
    assertThatThrownBy(
            () ->
                new CountdownSettings(
                    3, 4, 0, 25, 10, 100, 1, 6, true, false, false, Rules.DEFAULT_BOUND))
        .hasMessageContaining("allow_zero");
    assertThatThrownBy(
            () ->
                new CountdownSettings(
                    7, 8, 1, 25, 10, 100, 1, 5, true, false, false, Rules.DEFAULT_BOUND))
        .hasMessageContaining("n-1 steps");
    assertThat(
            CountdownSettings.fromMap(
                java.util.Map.of("max_numbers", 6, "use_all_numbers", "false")))
        .isEqualTo(
            new CountdownSettings(
                3, 6, 1, 25, 10, 100, 1, 6, false, false, false, Rules.DEFAULT_BOUND));
    assertThatThrownBy(() -> CountdownSettings.fromMap(java.util.Map.of("max_number", 6)))
        .hasMessageContaining("unknown config key countdown.generator.max_number");
    assertThatThrownBy(() -> CountdownSettings.fromMap(java.util.Map.of("max_magnitude", 0)))
        .hasMessageContaining("countdown.generator.max_magnitude must be in 1..");
  }

  @Test
  void rewardsAreValidatedAndReadFromConfig() {
    assertThat(CountdownRewards.fromMap(java.util.Map.of())).isEqualTo(CountdownRewards.DEFAULTS);
    assertThat(
            CountdownRewards.fromMap(java.util.Map.of("step_valid", "0.2", "success", 2))
                .stepValid())
        .isEqualTo(0.2);
    assertThatThrownBy(() -> CountdownRewards.fromMap(java.util.Map.of("step_credit_max", 1.0)))
        .hasMessageContaining("step_credit_max");
    assertThatThrownBy(() -> CountdownRewards.fromMap(java.util.Map.of("step_valid", "lots")))
        .hasMessageContaining("countdown.reward.step_valid must be a number");
  }
}
