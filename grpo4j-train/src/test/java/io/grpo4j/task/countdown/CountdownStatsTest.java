package io.grpo4j.task.countdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code grpo4j data stats}' numbers on four instances whose answers are known by hand. */
class CountdownStatsTest {
  final CountdownSolver solver =
      new CountdownSolver(Rules.DEFAULT, CountdownSolver.DEFAULT_NODE_BUDGET);

  @Test
  void fourInstancesCountedByHand(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("cd.jsonl");
    Files.writeString(
        f,
        // 2*3=6 in one step (a reference given); 3+5=8, 8*7=56 in two (no single step reaches
        // 56), twice under two ids; 2 and 2 never make 99 in one step
        "{\"id\":\"one\",\"numbers\":[2,3],\"target\":6,\"solution\":[\"2*3=6\"]}\n"
            + "{\"id\":\"two\",\"numbers\":[3,5,7],\"target\":56}\n"
            + "\n"
            + "{\"id\":\"dup\",\"numbers\":[7,5,3],\"target\":56}\n"
            + "{\"id\":\"x\",\"numbers\":[2,2],\"target\":99,\"max_steps\":1}\n");
    CountdownStats s = CountdownStats.of(f, solver);
    assertThat(s.instances()).isEqualTo(4);
    assertThat(s.distinct()).isEqualTo(3);
    assertThat(s.numbersPerInstance()).isEqualTo(Map.of(2, 2, 3, 2));
    // targets sorted: 6, 56, 56, 99; the median is the one at index 4/2
    assertThat(List.of(s.minTarget(), s.medianTarget(), s.maxTarget()))
        .containsExactly(6L, 56L, 99L);
    assertThat(s.referenceSteps()).isEqualTo(Map.of(1, 1));
    assertThat(s.withoutReference()).isEqualTo(3);
    assertThat(s.shortest()).isEqualTo(Map.of("1", 1, "2", 2, "unsolvable", 1));
    assertThat(s.unsolvable()).containsExactly("x");
    assertThat(s.solverNodes()).isPositive();
    assertThat(s.lines())
        .containsExactly(
            "instances: 4 (distinct numbers+target: 3)",
            "numbers per instance: 2: 2, 3: 2",
            "target: min 6, median 56, max 99",
            "reference steps: 1: 1 (3 without a reference)",
            "shortest solution steps (brute force): 1: 1, 2: 2, unsolvable: 1",
            "solver nodes: " + s.solverNodes() + " total, " + s.solverNodes() / 4 + " per instance",
            "unsolvable within max_steps: 1 (first: x)");
  }

  @Test
  void aSpentNodeBudgetIsUnknownNotUnsolvable() {
    CountdownStats s =
        CountdownStats.of(
            List.of(CountdownJsonl.parse("{\"numbers\":[1,2,3,4,5,6],\"target\":997}", "t:1")),
            new CountdownSolver(Rules.DEFAULT, 10));
    assertThat(s.shortest()).isEqualTo(Map.of("unknown", 1));
    assertThat(s.unsolvable()).isEmpty();
    assertThat(s.referenceSteps()).isEmpty();
    assertThat(s.lines()).contains("reference steps: none (1 without a reference)");
  }

  @Test
  void aMissingOrEmptyFileIsNamed(@TempDir Path dir) throws IOException {
    Path missing = dir.resolve("nope.jsonl");
    assertThatThrownBy(() -> CountdownStats.of(missing, solver))
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(NoSuchFileException.class)
        .hasMessage("no such file: " + missing);
    Path empty = Files.writeString(dir.resolve("empty.jsonl"), "\n");
    assertThatThrownBy(() -> CountdownStats.of(empty, solver))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(empty + ": no instances");
  }
}
