package io.grpo4j.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpo4j.task.countdown.CountdownInstance;
import io.grpo4j.task.countdown.CountdownTask;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DatasetTaskTest {
  final CountdownTask countdown = CountdownTask.defaults();
  final List<Problem<CountdownInstance>> pool = countdown.draw(1, 10);
  final DatasetTask<CountdownInstance> task = new DatasetTask<>(countdown, pool);

  @Test
  void drawIsDeterministicPerSeed() {
    assertThat(task.draw(5, 7)).isEqualTo(task.draw(5, 7));
    assertThat(task.draw(5, 7)).isNotEqualTo(task.draw(6, 7));
  }

  @Test
  void drawCoversThePoolEvenlyRoundByRound() {
    List<Problem<CountdownInstance>> drawn = task.draw(3, 25); // two full rounds and a half
    Map<String, Integer> counts = new HashMap<>();
    drawn.forEach(p -> counts.merge(p.id(), 1, Integer::sum));
    assertThat(counts).hasSize(10);
    assertThat(counts.values()).allSatisfy(c -> assertThat(c).isBetween(2, 3));
    assertThat(drawn.subList(0, 10)).containsExactlyInAnyOrderElementsOf(pool);
  }

  @Test
  void delegatesEverythingElse() {
    Problem<CountdownInstance> p = pool.get(0);
    assertThat(task.name()).isEqualTo("countdown");
    assertThat(task.prompt(p, PromptStyle.PLAIN)).isEqualTo(countdown.prompt(p, PromptStyle.PLAIN));
    assertThat(task.referenceCompletion(p)).isEqualTo(countdown.referenceCompletion(p));
    assertThat(task.verifier()).isSameAs(countdown.verifier());
  }

  @Test
  void rejectsAnEmptyPool() {
    assertThatThrownBy(() -> new DatasetTask<>(countdown, List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
  }

  @Test
  void promptStyleParses() {
    assertThat(PromptStyle.parse(" Chat ")).isEqualTo(PromptStyle.CHAT);
    assertThatThrownBy(() -> PromptStyle.parse("raw")).hasMessageContaining("'plain' or 'chat'");
  }
}
