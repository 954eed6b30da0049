package io.grpo4j.cli;

import io.grpo4j.config.RunConfig;
import io.grpo4j.run.Tasks;
import io.grpo4j.task.ScoredCompletions;
import io.grpo4j.task.Task;
import io.grpo4j.task.Verifier;
import io.grpo4j.task.countdown.AnswerFormat;
import io.grpo4j.task.countdown.CountdownInstance;
import io.grpo4j.task.countdown.CountdownJsonl;
import io.grpo4j.task.countdown.CountdownRewards;
import io.grpo4j.task.countdown.CountdownTask;
import io.grpo4j.torch.AtomicFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code grpo4j score}: runs the verifier over given completions and shows the reward, the verdict
 * and how the prefix score evolves along the text, so users can debug their reward settings.
 */
@Command(
    name = "score",
    description = {
      "Score completions with a task's verifier. Input JSONL lines: {numbers, target, max_steps, completion};",
      "output: each line with reward, success, reason and trace (the prefix score wherever it changes:",
      "chars = length of the prefix in characters).",
      "With --config, any task the config names (e.g. task.name: jsonl with its reward: sources):",
      "input lines in that task's schema plus the completion to score."
    })
final class ScoreCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--task", description = "Task (default: ${DEFAULT-VALUE}; known: countdown).")
  String task = "countdown";

  @Option(
      names = "--format",
      description = "Answer format: steps or expression (default: ${DEFAULT-VALUE}).")
  String format = "steps";

  @Option(names = "--input", required = true, description = "JSONL file of completions to score.")
  Path input;

  @Option(
      names = "--output",
      description = "Write the scored JSONL here instead of standard output.")
  Path output;

  @Option(
      names = "--reward",
      description =
          "Override a countdown.reward.* value, e.g. --reward step_valid=0.2 (repeatable).")
  Map<String, String> rewardOverrides = new LinkedHashMap<>();

  @Mixin RulesOptions rules;

  /** With --config: the run config whose task and reward sources score the input. */
  @Mixin ConfigOptions run;

  @Option(
      names = "--completion-field",
      description =
          "With --config: the input field holding the text to score (default: ${DEFAULT-VALUE}).")
  String completionField = "completion";

  @Override
  public Integer call() throws IOException {
    if (run.config != null) {
      RunConfig cfg = run.load(List.of());
      try (Task<?> t = Tasks.create(cfg)) {
        return print(ScoredCompletions.judge(t, input, completionField));
      }
    }
    if (!CountdownTask.NAME.equals(task)) {
      throw new IllegalArgumentException("unknown --task '" + task + "' (known: countdown)");
    }
    AnswerFormat answerFormat = AnswerFormat.parse(format);
    CountdownRewards rewards = CountdownRewards.fromMap(rewardOverrides);
    Verifier<CountdownInstance> verifier =
        CountdownTask.verifierFor(answerFormat, rewards, rules.rules());
    return print(ScoredCompletions.verify(verifier, CountdownJsonl.completions(input)));
  }

  /** Writes the scored lines (to --output or standard output) and the summary line. */
  private int print(ScoredCompletions scored) throws IOException {
    if (output != null) {
      AtomicFiles.writeString(output, scored.jsonl());
    } else {
      spec.commandLine().getOut().print(scored.jsonl());
      spec.commandLine().getOut().flush();
    }
    PrintWriter err = spec.commandLine().getErr();
    err.println(scored.summary());
    err.flush();
    return 0;
  }
}
