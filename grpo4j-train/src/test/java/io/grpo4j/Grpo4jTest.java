package io.grpo4j;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpo4j.config.RunConfig;
import io.grpo4j.model.TinyPreset;
import io.grpo4j.task.Outcome;
import io.grpo4j.task.PrefixScore;
import io.grpo4j.task.Problem;
import io.grpo4j.task.PromptStyle;
import io.grpo4j.task.Task;
import io.grpo4j.task.Verifier;
import io.grpo4j.torch.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedding entry point with a task object that no config names. */
class Grpo4jTest {
  @TempDir Path tmp;

  /** Answer with the letter after the prompt's letter; reward 1 when the first character is it. */
  static final class NextLetter implements Task<Character> {
    final List<String> judged = new ArrayList<>();

    @Override
    public String name() {
      return "next-letter";
    }

    @Override
    public List<Problem<Character>> draw(long seed, int n) {
      List<Problem<Character>> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        char c = (char) ('a' + Math.floorMod(seed + i, 25));
        out.add(new Problem<>("p" + c, c));
      }
      return out;
    }

    @Override
    public List<Problem<Character>> readProblems(Path jsonl) {
      throw new UnsupportedOperationException();
    }

    @Override
    public String prompt(Problem<Character> problem, PromptStyle style) {
      return problem.data() + ":";
    }

    @Override
    public String referenceCompletion(Problem<Character> problem) {
      return Character.toString(problem.data() + 1);
    }

    @Override
    public Verifier<Character> verifier() {
      return new Verifier<>() {
        @Override
        public PrefixScore score(Problem<Character> p, CharSequence prefix) {
          boolean ok = prefix.length() > 0 && prefix.charAt(0) == p.data() + 1;
          return new PrefixScore(ok ? 1 : 0, prefix.length() > 0, "");
        }

        @Override
        public Outcome outcome(Problem<Character> p, CharSequence completion) {
          judged.add(completion.toString());
          double v = score(p, completion).value();
          return new Outcome(v, v > 0, "");
        }
      };
    }
  }

  @Test
  void sftThenTrainWithAnEmbeddedTask() throws Exception {
    Path init = tmp.resolve("init");
    TinyPreset.write("tiny", init, 1, DType.F32);
    NextLetter task = new NextLetter();
    RunConfig config =
        Grpo4j.config(
            null,
            List.of(
                "model.init=" + init,
                "task.name=next-letter",
                "sft.steps=1",
                "sft.batch_size=4",
                "sft.eval_every=0",
                "sft.save_every=1",
                "train.steps=1",
                "train.eval_every=0",
                "train.save_every=1",
                "data.eval_size=2",
                "data.prompts_per_step=2",
                "rl.group_size=2",
                "sampling.max_new_tokens=3"));
    Path sft = Grpo4j.sft(config, task, tmp.resolve("sft"));
    assertThat(sft.getFileName().toString()).isEqualTo("step-1");
    Path last = Grpo4j.train(Grpo4j.withInit(config, sft), task, tmp.resolve("grpo"));
    assertThat(last.getFileName().toString()).isEqualTo("step-1");
    JsonNode row =
        new ObjectMapper().readTree(Files.readAllLines(tmp.resolve("grpo/metrics.jsonl")).get(0));
    assertThat(row.get("step").asInt()).isEqualTo(1);
    // the four GRPO completions (2 prompts x 2) were judged by this task object
    assertThat(task.judged).hasSizeGreaterThanOrEqualTo(4);
  }
}
