package io.grpo4j.task.countdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.grpo4j.task.Outcome;
import io.grpo4j.task.PrefixScore;
import io.grpo4j.task.Problem;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StepsVerifierTest {
  static final Problem<CountdownInstance> P56 =
      CountdownTask.problem(CountdownInstance.of(List.of(3L, 5L, 7L), 56, 6));
  // plain step checking: these tests pin the rules for legal and illegal moves (dead ends are
  // covered by DeadEndTest)
  final StepsVerifier v =
      new StepsVerifier(CountdownRewards.fromMap(Map.of("dead_ends", false)), Rules.DEFAULT);

  PrefixScore score(String text) {
    return v.score(P56, text);
  }

  Outcome outcome(String text) {
    return v.outcome(P56, text);
  }

  @Test
  void correctSolutionScoresSuccess() {
    Outcome o = outcome("3+5=8\n8*7=56\n");
    assertThat(o.success()).isTrue();
    assertThat(o.reward()).isEqualTo(1.0);
    assertThat(o.reason()).isEqualTo("reached 56 in 2 steps");
    assertThat(score("3+5=8\n8*7=56\n"))
        .isEqualTo(new PrefixScore(1.0, true, "reached 56 in 2 steps"));
  }

  @Test
  void spacesAndSymbolVariantsAreAccepted() {
    assertThat(outcome(" 3 + 5 = 8 \n 8 x 7 = 56").success()).isTrue();
    assertThat(outcome("5+3=8\n7×8=56").success()).isTrue();
    assertThat(outcome("5+3=8\r\n8 X 7 = 56\r\n").success()).isTrue();
    Problem<CountdownInstance> p =
        CountdownTask.problem(CountdownInstance.of(List.of(12L, 4L, 2L), 6, 6));
    assertThat(v.outcome(p, "12÷4=3\n3*2=6").success()).isTrue();
    assertThat(v.outcome(p, "12−4=8\n8−2=6").success()).isTrue();
  }

  @Test
  void blankLinesAreIgnored() {
    assertThat(outcome("\n\n3+5=8\n   \n8*7=56\n").success()).isTrue();
  }

  @Test
  void validStepsEarnCreditUntilTheCap() {
    Problem<CountdownInstance> p =
        CountdownTask.problem(
            CountdownInstance.of(List.of(1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L), 100, 7));
    assertThat(v.score(p, "1+1=2\n").value()).isCloseTo(0.1, within(1e-12));
    assertThat(v.score(p, "1+1=2\n1+1=2\n1*1=1\n").value()).isCloseTo(0.3, within(1e-12));
    String seven = "1+1=2\n1+1=2\n1+1=2\n1+1=2\n2+2=4\n2+2=4\n4+4=8\n";
    assertThat(v.score(p, seven).value())
        .isCloseTo(0.5, within(1e-12)); // capped at step_credit_max
    assertThat(v.outcome(p, seven).reason())
        .isEqualTo("stopped after 7 valid steps without reaching 100");
  }

  @Test
  void firstInvalidStepCostsAndFreezes() {
    PrefixScore s = score("3+5=8\n8*7=54\n");
    assertThat(s.value()).isCloseTo(0.1 - 0.2, within(1e-12));
    assertThat(s.complete()).isTrue();
    assertThat(s.reason()).isEqualTo("line 2: wrong arithmetic: 8*7 is 56, not 54");
    // nothing after the first invalid step counts, not even a correct finish
    assertThat(score("3+5=8\n8*7=54\n8*7=56\n").value()).isCloseTo(-0.1, within(1e-12));
    assertThat(outcome("3+5=8\n8*7=54\n8*7=56\n").success()).isFalse();
  }

  @Test
  void eachKindOfInvalidStepIsNamed() {
    assertThat(outcome("9+5=14").reason()).isEqualTo("line 1: 9 is not available");
    assertThat(outcome("3+5=8\n3+7=10").reason()).isEqualTo("line 2: 3 is not available");
    assertThat(outcome("5+5=10").reason()).isEqualTo("line 1: 5 is not available twice");
    assertThat(outcome("7/3=2").reason()).isEqualTo("line 1: 7/3 is not a whole number");
    assertThat(outcome("3-5=-2").reason()).isEqualTo("line 1: negative result -2 is not allowed");
    assertThat(outcome("hello").reason()).isEqualTo("line 1: not a step 'a op b = c': 'hello'");
    assertThat(outcome("3+5").reason()).isEqualTo("line 1: not a step 'a op b = c': '3+5'");
    assertThat(outcome("3+5=8=8").reason()).startsWith("line 1: not a step");
    assertThat(outcome("3+5=1234567890123456789").reason())
        .isEqualTo("line 1: number with more than 18 digits");
    Problem<CountdownInstance> zero =
        CountdownTask.problem(CountdownInstance.of(List.of(3L, 3L, 0L), 9, 6));
    assertThat(v.outcome(zero, "3-3=0").reason()).isEqualTo("line 1: zero result is not allowed");
    assertThat(v.outcome(zero, "3/0=0").reason()).isEqualTo("line 1: division by zero");
    Problem<CountdownInstance> big =
        CountdownTask.problem(CountdownInstance.of(List.of(1_000_000L, 1_000_000L, 10L), 9, 6));
    assertThat(v.outcome(big, "1000000*1000000=1000000000000").success()).isFalse();
    assertThat(
            v.outcome(big, "1000000*1000000=1000000000000\n1000000000000*10=10000000000000")
                .reason())
        .isEqualTo("line 2: result exceeds 1000000000000");
    Problem<CountdownInstance> two =
        CountdownTask.problem(CountdownInstance.of(List.of(1L, 1L, 1L, 1L), 9, 2));
    assertThat(v.outcome(two, "1+1=2\n1+1=2\n2+2=4").reason())
        .isEqualTo("line 3: too many steps (at most 2)");
  }

  @Test
  void rulesCanAllowNegativeAndZero() {
    StepsVerifier lenient =
        new StepsVerifier(CountdownRewards.DEFAULTS, new Rules(true, true, Rules.DEFAULT_BOUND));
    Problem<CountdownInstance> p =
        CountdownTask.problem(CountdownInstance.of(List.of(3L, 5L, 7L), -14, 6));
    assertThat(lenient.outcome(p, "3-5=-2\n-2*7=-14").success()).isTrue();
    assertThat(lenient.outcome(p, "3-3=0").reason()).isEqualTo("line 1: 3 is not available twice");
  }

  @Test
  void openLineCountsOnceItIsAValidStepAndFailsOnceItCannotBecomeOne() {
    assertThat(score("3+5=").value()).isZero();
    assertThat(score("3+5=8").value()).isCloseTo(0.1, within(1e-12));
    assertThat(score("3+5=8").complete()).isFalse();
    assertThat(score("3+5=81").value())
        .isCloseTo(-0.2, within(1e-12)); // open, but no continuation can fix it
    assertThat(score("3+5=81").complete()).isTrue();
    assertThat(score("3+5=1").value()).isCloseTo(-0.2, within(1e-12)); // 8 does not start with 1
    assertThat(score("3+5= ").value()).isZero(); // still open

    assertThat(score("3+5=81\n").value()).isCloseTo(-0.2, within(1e-12));
    // at end of text the open line is judged as it stands
    assertThat(outcome("3+5=81").reward()).isCloseTo(-0.2, within(1e-12));
    assertThat(outcome("3+5=8").reward()).isCloseTo(0.1, within(1e-12));
  }

  @Test
  void textAfterReachingTheTargetIsIgnored() {
    assertThat(score("3+5=8\n8*7=56").value()).isEqualTo(1.0);
    assertThat(score("3+5=8\n8*7=56").complete()).isTrue();
    assertThat(score("3+5=8\n8*7=560").value()).isEqualTo(1.0);
    assertThat(score("3+5=8\n8*7=56 done").value()).isEqualTo(1.0);
    assertThat(outcome("3+5=8\n8*7=56\nThe answer is 56.\nbla").success()).isTrue();
  }

  @Test
  void aResultThatStartsWithTheTargetDigitsIsNotCutShort() {
    // target 5; 7*8=56 must read the whole 56 (it is not a step onto the target)
    Problem<CountdownInstance> p =
        CountdownTask.problem(CountdownInstance.of(List.of(7L, 8L, 51L), 5, 6));
    assertThat(v.outcome(p, "7*8=56\n56-51=5\n").success()).isTrue();
    assertThat(v.score(p, "7*8=5").value()).isZero();
  }

  @Test
  void emptyAnswer() {
    assertThat(score("")).isEqualTo(new PrefixScore(0, false, "no steps yet"));
    assertThat(outcome("")).isEqualTo(new Outcome(0, false, "no steps"));
  }

  @Test
  void scoresLongInputsWithoutThrowing() {
    StringBuilder junk = new StringBuilder();
    while (junk.length() < 64 * 1024) {
      junk.append("1+1=2 ");
    }
    StringBuilder lines = new StringBuilder();
    while (lines.length() < 64 * 1024) {
      lines.append("\n \n");
    }
    lines.append("3+5=8");
    for (int i = 0; i < 20; i++) {
      assertThat(score(junk.toString()).value())
          .isCloseTo(-0.2, within(1e-12)); // no pool number starts with 1
      assertThat(score(lines.toString()).value()).isCloseTo(0.1, within(1e-12));
    }
  }

  @Test
  void aMistakeIsBlamedOnTheCharacterThatMakesItUnfixable() {
    // 3+5=8 is worth 0.1; the second line goes wrong at the marked character.
    String[][] cases = {
      {"3+5=8\n8*7=5", "8*7=58"}, // typed result can no longer be 56
      {"3+5=8\n8*", "8*4"}, // 4 is not in the pool {7, 8}
      {"3+5=8\n8*7", "8*7?"}, // not an operator
      {"3+5=8\n8", "83"}, // no pool number starts with 83
      {"3+5=8\n8*7=56", "8*7=56"}, // correct: reaches success, never fails
    };
    assertThat(score("3+5=8\n8*7=5").value()).isCloseTo(0.1, within(1e-12)); // still fixable
    assertThat(score("3+5=8\n8*7=58").value()).isCloseTo(-0.1, within(1e-12));
    assertThat(score("3+5=8\n8*7=58").complete()).isTrue();
    assertThat(score("3+5=8\n8*4").value()).isCloseTo(-0.1, within(1e-12));
    assertThat(score("3+5=8\n8*4").reason()).contains("starts with 4");
    assertThat(score("3+5=8\n8*4 ").reason()).contains("4 is not available");
    assertThat(score("3+5=8\n8*7?").value()).isCloseTo(-0.1, within(1e-12));
    assertThat(score("3+5=8\n83").value()).isCloseTo(-0.1, within(1e-12));
    assertThat(score("3+5=8\n8").value()).isCloseTo(0.1, within(1e-12));
    assertThat(score("3+5=8\n8*7=56 ").value()).isEqualTo(1.0);
    assertThat(score("3+5=8\n3+").value()).isCloseTo(-0.1, within(1e-12)); // 3 was used up
    assertThat(score("3+5=8\n7-8").value())
        .isCloseTo(0.1, within(1e-12)); // could still be 7-8=... only at '='
    assertThat(score("3+5=8\n7-8=").value())
        .isCloseTo(-0.1, within(1e-12)); // negative result is illegal
    // once dead, the outcome at end of text agrees with the prefix score
    for (String[] c : cases) {
      PrefixScore s = score(c[1].startsWith("8*7=56") ? "3+5=8\n" + c[1] : "3+5=8\n" + c[1]);
      if (s.complete()) assertThat(outcome("3+5=8\n" + c[1]).reward()).isEqualTo(s.value());
    }
  }
}
