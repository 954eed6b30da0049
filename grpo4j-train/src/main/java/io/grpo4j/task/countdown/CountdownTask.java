package io.grpo4j.task.countdown;

import io.grpo4j.task.Problem;
import io.grpo4j.task.PromptStyle;
import io.grpo4j.task.Task;
import io.grpo4j.task.Verifier;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The Countdown game as a {@link Task}: fresh instances from the {@link CountdownGenerator}
 * (unlimited, seeded), prompts in the plain or chat style, reference answers for SFT, and the
 * verifier of the chosen {@link AnswerFormat}.
 *
 * <p>Plain prompts are deliberately short and regular, because a tiny byte-level model learns them
 * from SFT: {@code Reach 56 using at most 6 steps: 3 5 7\n} (steps) and {@code Reach 56 using each
 * number once: 3 5 7\n} (expression).
 */
public final class CountdownTask implements Task<CountdownInstance> {
  /** The task name in config files. */
  public static final String NAME = "countdown";

  private final AnswerFormat format;
  private final CountdownGenerator generator;
  private final Verifier<CountdownInstance> verifier;

  public CountdownTask(CountdownSettings settings, CountdownRewards rewards, AnswerFormat format) {
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(rewards, "rewards");
    this.format = Objects.requireNonNull(format, "format");
    if (format == AnswerFormat.EXPRESSION && !settings.useAllNumbers()) {
      throw new IllegalArgumentException(
          "countdown.generator.use_all_numbers must be true for the expression format (each number is used exactly once)");
    }
    if (format == AnswerFormat.EXPRESSION && settings.minValue() < 0) {
      throw new IllegalArgumentException(
          "countdown.generator.min_value must be >= 0 for the expression format (answers are checked by their digits, as TinyZero does)");
    }
    this.generator = new CountdownGenerator(settings);
    this.verifier = verifierFor(format, rewards, settings.rules());
  }

  /** Default settings and rewards, steps format. */
  public static CountdownTask defaults() {
    return new CountdownTask(
        CountdownSettings.DEFAULTS, CountdownRewards.DEFAULTS, AnswerFormat.STEPS);
  }

  /** The verifier of an answer format. */
  public static Verifier<CountdownInstance> verifierFor(
      AnswerFormat format, CountdownRewards rewards, Rules rules) {
    return switch (format) {
      case STEPS -> new StepsVerifier(rewards, rules);
      case EXPRESSION -> new ExpressionVerifier(rewards, rules);
    };
  }

  /** A problem for an instance, with its content-derived id. */
  public static Problem<CountdownInstance> problem(CountdownInstance instance) {
    return new Problem<>(instance.id(), instance);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Problem<CountdownInstance>> draw(long seed, int n) {
    return generator.draw(seed, n).stream().map(CountdownTask::problem).toList();
  }

  @Override
  public List<Problem<CountdownInstance>> readProblems(Path jsonl) throws IOException {
    return CountdownJsonl.read(jsonl).stream()
        .map(e -> new Problem<>(e.id(), e.instance()))
        .toList();
  }

  @Override
  public String prompt(Problem<CountdownInstance> problem, PromptStyle style) {
    return prompt(problem.data(), style, format);
  }

  /** The prompt for an instance in a style and answer format. */
  public static String prompt(CountdownInstance inst, PromptStyle style, AnswerFormat format) {
    String spaced = inst.numbers().stream().map(String::valueOf).collect(Collectors.joining(" "));
    String listed =
        inst.numbers().stream().map(String::valueOf).collect(Collectors.joining(", ", "[", "]"));
    long t = inst.target();
    return switch (style) {
      case PLAIN ->
          switch (format) {
            case STEPS ->
                "Reach " + t + " using at most " + inst.maxSteps() + " steps: " + spaced + "\n";
            case EXPRESSION -> "Reach " + t + " using each number once: " + spaced + "\n";
          };
      case CHAT ->
          switch (format) {
            case STEPS ->
                "Using the numbers "
                    + listed
                    + ", reach the target "
                    + t
                    + " in at most "
                    + inst.maxSteps()
                    + " steps. In each step, combine two of the available numbers with +, -, * or /"
                    + " and write it on its own line as `a op b = c`, for example `3 + 5 = 8`."
                    + " Results must be positive whole numbers (divide only when it is exact)."
                    + " The two numbers you combine are used up and the result c becomes available."
                    + " Write only the steps, one per line, and stop after the step whose result is "
                    + t
                    + ".";
            case EXPRESSION ->
                "Using the numbers "
                    + listed
                    + ", create an equation that equals "
                    + t
                    + ". You can use basic arithmetic operations (+, -, *, /) and each number can only"
                    + " be used once. Show your work in <think> </think> tags. And return the final"
                    + " answer in <answer> </answer> tags, for example <answer> (1 + 2) / 3 </answer>.";
          };
    };
  }

  @Override
  public String referenceCompletion(Problem<CountdownInstance> problem) {
    return referenceCompletion(problem.data(), format);
  }

  /**
   * The reference answer text of an instance in a format (see {@link Task#referenceCompletion}).
   */
  public static String referenceCompletion(CountdownInstance inst, AnswerFormat format) {
    if (!inst.hasSolution()) {
      throw new IllegalArgumentException(
          "countdown instance " + inst.key() + " has no reference solution");
    }
    return switch (format) {
      case STEPS -> inst.solutionText();
      case EXPRESSION -> "<answer>" + expression(inst) + "</answer>";
    };
  }

  /**
   * The reference solution as one expression with minimal parentheses, e.g. {@code (3+5)*7}.
   *
   * @throws IllegalArgumentException if the solution leaves some number unused, or a starting
   *     number is negative (expression answers are checked by their digits, as TinyZero does)
   */
  public static String expression(CountdownInstance inst) {
    if (inst.numbers().stream().anyMatch(n -> n < 0)) {
      throw new IllegalArgumentException(
          "instance "
              + inst.key()
              + " has negative numbers, which the expression format cannot check");
    }
    List<Part> pool = new ArrayList<>();
    for (long n : inst.numbers()) {
      pool.add(new Part(n, Long.toString(n), Part.ATOM));
    }
    Part last = null;
    for (Step s : inst.solution()) {
      Part left = take(pool, s.left());
      Part right = take(pool, s.right());
      int prec = s.op() == Op.ADD || s.op() == Op.SUB ? Part.SUM : Part.PRODUCT;
      boolean wrapLeft = prec == Part.PRODUCT && left.precedence() == Part.SUM;
      boolean wrapRight =
          switch (s.op()) {
            case ADD -> false;
            case SUB, MUL -> right.precedence() == Part.SUM;
            case DIV -> right.precedence() != Part.ATOM;
          };
      String text = left.text(wrapLeft) + s.op().symbol() + right.text(wrapRight);
      last = new Part(s.result(), text, prec);
      pool.add(last);
    }
    if (pool.size() != 1 || last == null) {
      throw new IllegalArgumentException(
          "the reference solution of "
              + inst.key()
              + " does not use every number, so it has no expression form");
    }
    return last.text();
  }

  /** A sub-expression: its value, its text, and the precedence of its top-level operator. */
  private record Part(long value, String text, int precedence) {
    static final int SUM = 1;
    static final int PRODUCT = 2;
    static final int ATOM = 3;

    String text(boolean parenthesized) {
      return parenthesized ? "(" + text + ")" : text;
    }
  }

  private static Part take(List<Part> pool, long value) {
    for (int i = 0; i < pool.size(); i++) {
      if (pool.get(i).value() == value) {
        return pool.remove(i);
      }
    }
    throw new IllegalStateException(
        "replayed solution uses unavailable " + value); // instance is validated
  }

  @Override
  public Verifier<CountdownInstance> verifier() {
    return verifier;
  }
}
