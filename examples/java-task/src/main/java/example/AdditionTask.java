package example;

import io.grpo4j.task.Outcome;
import io.grpo4j.task.PrefixScore;
import io.grpo4j.task.Problem;
import io.grpo4j.task.PromptStyle;
import io.grpo4j.task.Task;
import io.grpo4j.task.Verifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Adding two numbers: prompt {@code 12+7=}, answer {@code 19} and a newline. The verifier gives
 * credit digit by digit (each correct leading digit is worth 1/digits) and takes it all back at the
 * first wrong one, so grpo4j's token rewards point at that digit.
 */
public final class AdditionTask implements Task<int[]> {
  private final int max;

  public AdditionTask(int max) {
    this.max = max;
  }

  @Override
  public String name() {
    return "addition";
  }

  @Override
  public List<Problem<int[]>> draw(long seed, int n) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Problem<int[]>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int a = 1 + random.nextInt(max);
      int b = 1 + random.nextInt(max);
      out.add(new Problem<>(a + "+" + b, new int[] {a, b}));
    }
    return out;
  }

  @Override
  public List<Problem<int[]>> readProblems(Path jsonl) {
    throw new IllegalArgumentException("the addition task generates its problems; no files");
  }

  @Override
  public String prompt(Problem<int[]> problem, PromptStyle style) {
    return problem.data()[0] + "+" + problem.data()[1] + "=";
  }

  @Override
  public String referenceCompletion(Problem<int[]> problem) {
    return (problem.data()[0] + problem.data()[1]) + "\n";
  }

  @Override
  public Verifier<int[]> verifier() {
    return new Verifier<>() {
      @Override
      public PrefixScore score(Problem<int[]> problem, CharSequence prefix) {
        String want = Integer.toString(problem.data()[0] + problem.data()[1]);
        int right = 0;
        while (right < prefix.length()
            && right < want.length()
            && prefix.charAt(right) == want.charAt(right)) {
          right++;
        }
        boolean wrong = right < prefix.length() && right < want.length();
        boolean done = right == want.length() && prefix.length() > right;
        if (done) {
          boolean clean = prefix.charAt(right) == '\n';
          return new PrefixScore(clean ? 1.0 : 0.0, true, clean ? "solved" : "digits after answer");
        }
        if (wrong) return new PrefixScore(0.0, true, "wrong digit");
        return new PrefixScore((double) right / want.length(), false, "");
      }

      @Override
      public Outcome outcome(Problem<int[]> problem, CharSequence completion) {
        // solved exactly when the whole text scores 1: the sum, then a newline or the end
        boolean ok = score(problem, completion).value() == 1.0;
        return new Outcome(ok ? 1.0 : 0.0, ok, ok ? "solved" : "wrong sum");
      }
    };
  }
}
