package io.grpo4j.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * CI-sized fuzzing of every parser in {@link FuzzTargets}: random bytes, random token soup and
 * valid inputs damaged by up to eight {@link Mutator} edits (which jqwik shrinks on failure) are
 * either accepted or rejected with the documented exception naming the file. {@code grpo4j fuzz}
 * runs the same targets for millions of inputs.
 */
class FuzzTargetsProperties {
  private static Path scratch;

  @BeforeContainer
  static void scratchFolder() throws Exception {
    scratch = Files.createTempDirectory("grpo4j-fuzz-test");
  }

  @AfterContainer
  static void removeScratch() throws Exception {
    try (var s = Files.walk(scratch)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private static Arbitrary<byte[]> inputs(FuzzTarget t) {
    Arbitrary<Mutator.Edit> edit =
        Combinators.combine(
                Arbitraries.integers().between(0, Mutator.KINDS - 1),
                Arbitraries.integers(),
                Arbitraries.integers(),
                Arbitraries.integers())
            .as(Mutator.Edit::new);
    Arbitrary<byte[]> mutated =
        Combinators.combine(
                Arbitraries.integers().between(0, t.seeds().size() - 1),
                edit.list().ofMinSize(1).ofMaxSize(8))
            .as((seed, edits) -> Mutator.apply(t.seeds().get(seed), edits, t.tokens(), t.seeds()));
    Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
    Arbitrary<byte[]> soup =
        Arbitraries.integers()
            .between(0, t.tokens().size() - 1)
            .list()
            .ofMaxSize(40)
            .map(
                ix -> {
                  var o = new java.io.ByteArrayOutputStream();
                  ix.forEach(i -> o.writeBytes(t.tokens().get(i)));
                  return o.toByteArray();
                });
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(8, mutated),
        net.jqwik.api.Tuple.of(1, random),
        net.jqwik.api.Tuple.of(1, soup));
  }

  @Provide
  Arbitrary<byte[]> safetensors() {
    return inputs(FuzzTargets.safetensors());
  }

  @Provide
  Arbitrary<byte[]> configJson() {
    return inputs(FuzzTargets.configJson());
  }

  @Provide
  Arbitrary<byte[]> yamlConfig() {
    return inputs(FuzzTargets.yamlConfig());
  }

  @Provide
  Arbitrary<byte[]> countdownJsonl() {
    return inputs(FuzzTargets.countdownJsonl());
  }

  @Provide
  Arbitrary<byte[]> stepsAnswers() {
    return inputs(FuzzTargets.answers(io.grpo4j.task.countdown.AnswerFormat.STEPS));
  }

  @Provide
  Arbitrary<byte[]> expressionAnswers() {
    return inputs(FuzzTargets.answers(io.grpo4j.task.countdown.AnswerFormat.EXPRESSION));
  }

  @Property(tries = 300)
  void safetensorsHeaders(@ForAll("safetensors") byte[] input) throws Exception {
    FuzzTargets.safetensors().run(input, scratch);
  }

  @Property(tries = 300)
  void configJsonFiles(@ForAll("configJson") byte[] input) throws Exception {
    FuzzTargets.configJson().run(input, scratch);
  }

  @Property(tries = 150)
  void yamlConfigFiles(@ForAll("yamlConfig") byte[] input) throws Exception {
    FuzzTargets.yamlConfig().run(input, scratch);
  }

  @Property(tries = 300)
  void countdownJsonlFiles(@ForAll("countdownJsonl") byte[] input) throws Exception {
    FuzzTargets.countdownJsonl().run(input, scratch);
  }

  @Property(tries = 300)
  void stepsAnswerTexts(@ForAll("stepsAnswers") byte[] input) throws Exception {
    FuzzTargets.answers(io.grpo4j.task.countdown.AnswerFormat.STEPS).run(input, scratch);
  }

  @Property(tries = 300)
  void expressionAnswerTexts(@ForAll("expressionAnswers") byte[] input) throws Exception {
    FuzzTargets.answers(io.grpo4j.task.countdown.AnswerFormat.EXPRESSION).run(input, scratch);
  }

  @Example
  void everySeedIsAccepted() throws Exception {
    for (FuzzTarget t : FuzzTargets.all()) {
      for (byte[] seed : t.seeds()) {
        assertThat(t.run(seed, scratch))
            .as(t.name() + ": " + new String(seed, StandardCharsets.UTF_8))
            .isEqualTo(FuzzTarget.Result.ACCEPTED);
      }
    }
  }

  /**
   * Inputs the fuzzer found: invalid UTF-8 used to escape as "Input length = 1", zero heads as
   * ArithmeticException.
   */
  @Example
  void foundByFuzzingNowRejectedWithTheFileName() throws Exception {
    byte[] badUtf8 = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}', '\n'};
    for (FuzzTarget t :
        List.of(FuzzTargets.configJson(), FuzzTargets.yamlConfig(), FuzzTargets.countdownJsonl())) {
      assertThat(t.run(badUtf8, scratch)).as(t.name()).isEqualTo(FuzzTarget.Result.REJECTED);
    }
    byte[] zeroHeads =
        "{\"hidden_size\":64,\"num_attention_heads\":0,\"intermediate_size\":8,\"num_hidden_layers\":1,\"vocab_size\":10}"
            .getBytes(StandardCharsets.UTF_8);
    assertThat(FuzzTargets.configJson().run(zeroHeads, scratch))
        .isEqualTo(FuzzTarget.Result.REJECTED);
  }

  @Example
  void theHarnessFlagsUndocumentedExceptionsAndMessagesWithoutTheFile() {
    List<byte[]> seeds = List.of(new byte[] {1});
    FuzzTarget npe =
        new FuzzTarget(
            "npe",
            "x.bin",
            seeds,
            seeds,
            List.of(IllegalArgumentException.class),
            f -> {
              throw new NullPointerException("boom");
            });
    FuzzTarget anonymous =
        new FuzzTarget(
            "anon",
            "x.bin",
            seeds,
            seeds,
            List.of(IllegalArgumentException.class),
            f -> {
              throw new IllegalArgumentException("bad value");
            });
    FuzzTarget overflow =
        new FuzzTarget(
            "deep",
            "x.bin",
            seeds,
            seeds,
            List.of(IllegalArgumentException.class),
            f -> {
              throw new StackOverflowError();
            });
    assertThatThrownBy(() -> npe.run(new byte[0], scratch))
        .isInstanceOf(FuzzTarget.Violation.class)
        .hasMessageContaining("undocumented");
    assertThatThrownBy(() -> anonymous.run(new byte[0], scratch))
        .isInstanceOf(FuzzTarget.Violation.class)
        .hasMessageContaining("name the file");
    assertThatThrownBy(() -> overflow.run(new byte[0], scratch))
        .isInstanceOf(FuzzTarget.Violation.class);
  }

  @Example
  void mutationsAreDeterministicAndChangeTheInput() {
    FuzzTarget t = FuzzTargets.configJson();
    Random a = new Random(5);
    Random b = new Random(5);
    int changed = 0;
    for (int i = 0; i < 200; i++) {
      byte[] x = Fuzzer.input(t, a);
      assertThat(Fuzzer.input(t, b)).isEqualTo(x);
      if (t.seeds().stream().noneMatch(s -> java.util.Arrays.equals(s, x))) changed++;
    }
    assertThat(changed).isGreaterThan(150);
  }
}
