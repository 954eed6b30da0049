package io.grpo4j.task.countdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.grpo4j.task.Outcome;
import io.grpo4j.task.PrefixScore;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Verifier;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.StringLength;

/** The properties issue 3 asks for, over randomly chosen generator settings and rewards. */
class CountdownProperties {

  @Provide
  Arbitrary<CountdownSettings> settings() {
    return Combinators.combine(
            Arbitraries.integers().between(2, 6), // min numbers
            Arbitraries.integers().between(0, 2), // extra numbers
            Arbitraries.longs().between(-5, 10), // low end of values
            Arbitraries.longs().between(3, 40), // span of values
            Arbitraries.integers().between(1, 3), // min steps
            Arbitraries.integers().between(0, 4), // extra steps
            Arbitraries.integers().between(0, 7), // flags: use all, negative, zero
            Arbitraries.longs().between(20, 2000)) // span of targets
        .as(CountdownProperties::settingsOrNull)
        .filter(s -> s != null);
  }

  static CountdownSettings settingsOrNull(
      int minN,
      int extraN,
      long lo,
      long span,
      int minSteps,
      int extraSteps,
      int flags,
      long targetSpan) {
    boolean useAll = (flags & 1) != 0;
    boolean negative = (flags & 2) != 0;
    boolean zero = (flags & 4) != 0;
    if (!negative && lo < 0) {
      lo = zero ? 0 : 1;
    }
    if (!zero && lo <= 0 && lo + span >= 0) {
      lo = 1;
    }
    long minTarget = negative ? -targetSpan / 2 : 1;
    try {
      return new CountdownSettings(
          minN,
          Math.min(8, minN + extraN),
          lo,
          lo + span,
          minTarget,
          minTarget + targetSpan,
          minSteps,
          minSteps + extraSteps,
          useAll,
          negative,
          zero,
          Rules.DEFAULT_BOUND);
    } catch (IllegalArgumentException infeasible) {
      return null;
    }
  }

  @Provide
  Arbitrary<CountdownRewards> rewards() {
    return Combinators.combine(
            Arbitraries.doubles().between(0, 1),
            Arbitraries.doubles().between(0, 0.99),
            Arbitraries.doubles().between(-2, 0),
            Arbitraries.doubles().between(1, 5))
        .as(
            (stepValid, capFraction, invalid, success) ->
                new CountdownRewards(
                    stepValid, capFraction * success, invalid, success, 0.1, 0.0, true));
  }

  /** Instances of these settings also have an expression-format reference. */
  static boolean expressible(CountdownSettings settings) {
    return settings.useAllNumbers() && settings.minValue() >= 0;
  }

  static CountdownInstance instance(CountdownSettings settings, long seed) {
    return new CountdownGenerator(settings).next(new SplittableRandom(seed));
  }

  @Property(tries = 200)
  void everyGeneratedInstanceIsSolvedByItsReferenceWithTheMaximumScore(
      @ForAll("settings") CountdownSettings settings,
      @ForAll("rewards") CountdownRewards rewards,
      @ForAll long seed) {
    CountdownInstance inst = instance(settings, seed);
    Problem<CountdownInstance> p = CountdownTask.problem(inst);
    StepsVerifier steps = new StepsVerifier(rewards, settings.rules());
    String reference = CountdownTask.referenceCompletion(inst, AnswerFormat.STEPS);
    assertThat(steps.outcome(p, reference))
        .isEqualTo(
            new Outcome(
                rewards.success(),
                true,
                "reached "
                    + inst.target()
                    + " in "
                    + inst.solution().size()
                    + (inst.solution().size() == 1 ? " step" : " steps")));
    assertThat(steps.score(p, reference).value()).isEqualTo(rewards.success());
    if (expressible(settings)) {
      ExpressionVerifier expression = new ExpressionVerifier(rewards, settings.rules());
      Outcome o =
          expression.outcome(p, CountdownTask.referenceCompletion(inst, AnswerFormat.EXPRESSION));
      assertThat(o.success()).as(CountdownTask.expression(inst)).isTrue();
      assertThat(o.reward()).isEqualTo(rewards.success());
    }
  }

  @Property(tries = 200)
  void prefixScoresOfReferenceSolutionsNeverDecrease(
      @ForAll("settings") CountdownSettings settings,
      @ForAll("rewards") CountdownRewards rewards,
      @ForAll long seed) {
    CountdownInstance inst = instance(settings, seed);
    Problem<CountdownInstance> p = CountdownTask.problem(inst);
    for (AnswerFormat format :
        expressible(settings) ? AnswerFormat.values() : new AnswerFormat[] {AnswerFormat.STEPS}) {
      Verifier<CountdownInstance> v = CountdownTask.verifierFor(format, rewards, settings.rules());
      String reference = CountdownTask.referenceCompletion(inst, format);
      double previous = v.score(p, "").value();
      for (int end = 1; end <= reference.length(); end++) {
        double value = v.score(p, reference.substring(0, end)).value();
        assertThat(value)
            .as("%s prefix %s", format, reference.substring(0, end))
            .isGreaterThanOrEqualTo(previous);
        previous = value;
      }
      assertThat(previous).isEqualTo(rewards.success());
    }
  }

  static final String ALPHABET = "0123456789+-*/x×÷−=() \n\t<>answer/ \uD83D\uDE00é";

  @Provide
  Arbitrary<String> answerLikeText() {
    return Arbitraries.oneOf(
        Arbitraries.strings().withChars(ALPHABET).ofMaxLength(200),
        Arbitraries.strings().all().ofMaxLength(200),
        Arbitraries.strings().withChars("<answer>").ofMaxLength(200).map(s -> s + "</answer>"));
  }

  @Property(tries = 300)
  void randomStringsNeverThrowAndStayInRange(
      @ForAll("answerLikeText") String text, @ForAll("rewards") CountdownRewards rewards) {
    Problem<CountdownInstance> p =
        CountdownTask.problem(CountdownInstance.of(List.of(3L, 5L, 7L, 2L), 56, 4));
    for (AnswerFormat format : AnswerFormat.values()) {
      Verifier<CountdownInstance> v = CountdownTask.verifierFor(format, rewards, Rules.DEFAULT);
      checkAllPrefixes(v, p, text, rewards);
    }
  }

  @Property(tries = 200)
  void randomEditsOfCorrectAnswersNeverThrow(
      @ForAll("settings") CountdownSettings settings,
      @ForAll("rewards") CountdownRewards rewards,
      @ForAll long seed,
      @ForAll @StringLength(max = 6) String insertion) {
    CountdownInstance inst = instance(settings, seed);
    Problem<CountdownInstance> p = CountdownTask.problem(inst);
    SplittableRandom random = new SplittableRandom(seed);
    for (AnswerFormat format :
        expressible(settings) ? AnswerFormat.values() : new AnswerFormat[] {AnswerFormat.STEPS}) {
      StringBuilder text = new StringBuilder(CountdownTask.referenceCompletion(inst, format));
      int edits = 1 + random.nextInt(4);
      for (int e = 0; e < edits; e++) {
        int at = random.nextInt(text.length() + 1);
        switch (random.nextInt(3)) {
          case 0 ->
              text.insert(
                  at,
                  random.nextBoolean()
                      ? insertion
                      : String.valueOf(ALPHABET.charAt(random.nextInt(ALPHABET.length()))));
          case 1 -> {
            if (at < text.length()) {
              text.deleteCharAt(at);
            }
          }
          default -> {
            if (at < text.length()) {
              text.setCharAt(at, ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            }
          }
        }
      }
      Verifier<CountdownInstance> v = CountdownTask.verifierFor(format, rewards, settings.rules());
      checkAllPrefixes(v, p, text.toString(), rewards);
    }
  }

  /** Scores every prefix: no exception, values within the reward range, the Verifier contract. */
  static void checkAllPrefixes(
      Verifier<CountdownInstance> v,
      Problem<CountdownInstance> p,
      String text,
      CountdownRewards r) {
    double lowest = Math.min(r.stepInvalid(), r.expressionMissing());
    for (int end = 0; end <= text.length(); end++) {
      String prefix = text.substring(0, end);
      PrefixScore s = v.score(p, prefix);
      Outcome o = v.outcome(p, prefix);
      assertThat(s.value()).isBetween(lowest, r.success());
      assertThat(o.reward()).isBetween(lowest, r.success());
      assertThat(s.reason()).isNotBlank();
      if (s.complete()) {
        assertThat(o.reward()).as(prefix).isCloseTo(s.value(), within(1e-12));
      }
      assertThat(o.success()).isEqualTo(o.reward() == r.success());
    }
  }

  @Property(tries = 200)
  void generatorRespectsEveryKnob(@ForAll("settings") CountdownSettings s, @ForAll long seed) {
    List<CountdownInstance> instances = new CountdownGenerator(s).draw(seed, 5);
    Rules rules = s.rules();
    for (CountdownInstance inst : instances) {
      assertThat(inst.numbers().size()).isBetween(s.minNumbers(), s.maxNumbers());
      assertThat(inst.numbers())
          .allSatisfy(n -> assertThat(n).isBetween(s.minValue(), s.maxValue()));
      assertThat(inst.target()).isBetween(s.minTarget(), s.maxTarget());
      assertThat(inst.numbers()).doesNotContain(inst.target());
      assertThat(inst.maxSteps()).isEqualTo(s.maxSteps());
      assertThat(inst.solution().size()).isBetween(s.minSteps(), s.maxSteps());
      List<Long> pool = new ArrayList<>(inst.numbers());
      for (Step step : inst.solution()) {
        assertThat(rules.apply(step.left(), step.op(), step.right()))
            .as(step.toString())
            .isEqualTo(step.result());
        assertThat(pool.remove((Long) step.left())).isTrue();
        assertThat(pool.remove((Long) step.right())).isTrue();
        pool.add(step.result());
      }
      if (s.useAllNumbers()) {
        assertThat(pool).containsExactly(inst.target());
      }
    }
  }

  @Property(tries = 200)
  void solverAgreesWithGenerator(@ForAll("settings") CountdownSettings s, @ForAll long seed) {
    CountdownInstance inst = instance(s, seed);
    CountdownSolver.Result r =
        new CountdownSolver(s.rules(), CountdownSolver.DEFAULT_NODE_BUDGET)
            .solve(inst.numbers(), inst.target(), inst.maxSteps());
    assertThat(r.status()).isEqualTo(CountdownSolver.Status.SOLVED);
    // the solver's solution is itself a correct answer (the instance constructor replays it)
    CountdownInstance solved =
        new CountdownInstance(inst.numbers(), inst.target(), inst.maxSteps(), r.steps());
    Problem<CountdownInstance> p = CountdownTask.problem(solved);
    assertThat(
            new StepsVerifier(CountdownRewards.DEFAULTS, s.rules())
                .outcome(p, solved.solutionText())
                .success())
        .isTrue();
  }
}
