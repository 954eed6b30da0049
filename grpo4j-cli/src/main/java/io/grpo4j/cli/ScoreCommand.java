package io.grpo4j.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.config.RunConfig;
import io.grpo4j.run.Tasks;
import io.grpo4j.task.Outcome;
import io.grpo4j.task.PrefixScore;
import io.grpo4j.task.Problem;
import io.grpo4j.task.Task;
import io.grpo4j.task.Verdict;
import io.grpo4j.task.Verifier;
import io.grpo4j.task.countdown.AnswerFormat;
import io.grpo4j.task.countdown.CountdownInstance;
import io.grpo4j.task.countdown.CountdownJsonl;
import io.grpo4j.task.countdown.CountdownRewards;
import io.grpo4j.task.countdown.CountdownTask;
import io.grpo4j.torch.AtomicFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
  /**
   * Above this length the trace is taken at line ends only (prefix scoring is linear, a full trace
   * quadratic).
   */
  static final int FULL_TRACE_MAX_CHARS = 8192;

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
          .disable(SerializationFeature.INDENT_OUTPUT);

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
      Task<?> t = Tasks.create(cfg);
      try {
        return scoreTask(t);
      } finally {
        t.close();
      }
    }
    if (!CountdownTask.NAME.equals(task)) {
      throw new IllegalArgumentException("unknown --task '" + task + "' (known: countdown)");
    }
    AnswerFormat answerFormat = AnswerFormat.parse(format);
    CountdownRewards rewards = CountdownRewards.fromMap(rewardOverrides);
    Verifier<CountdownInstance> verifier =
        CountdownTask.verifierFor(answerFormat, rewards, rules.rules());
    if (!Files.isRegularFile(input)) {
      throw new IOException("no such file: " + input);
    }
    StringBuilder out = new StringBuilder();
    int count = 0;
    int solved = 0;
    double total = 0;
    try (BufferedReader reader = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
      String text;
      int lineNo = 0;
      while ((text = reader.readLine()) != null) {
        lineNo++;
        if (text.isBlank()) {
          continue;
        }
        String where = input + ":" + lineNo;
        CountdownJsonl.Entry entry = CountdownJsonl.parse(text, where);
        JsonNode completionNode = entry.line().get("completion");
        if (completionNode == null || !completionNode.isTextual()) {
          throw new IllegalArgumentException(where + ": field 'completion' must be a string");
        }
        String completion = completionNode.asText();
        Problem<CountdownInstance> problem = new Problem<>(entry.id(), entry.instance());
        Outcome outcome = verifier.outcome(problem, completion);
        ObjectNode result = ((ObjectNode) entry.line()).deepCopy();
        result.put("reward", rounded(outcome.reward()));
        result.put("success", outcome.success());
        result.put("reason", outcome.reason());
        result.set("trace", trace(verifier, problem, completion));
        out.append(JSON.writeValueAsString(result)).append('\n');
        count++;
        solved += outcome.success() ? 1 : 0;
        total += outcome.reward();
      }
    }
    finish(out, count, total, solved, 0);
    return 0;
  }

  /** Scores the input with a config's task: one judge call for the whole file. */
  private <D> int scoreTask(Task<D> t) throws IOException {
    List<Problem<D>> problems = t.readProblems(input);
    List<ObjectNode> lines = new ArrayList<>();
    List<String> completions = new ArrayList<>();
    int lineNo = 0;
    for (String text : Files.readAllLines(input, StandardCharsets.UTF_8)) {
      lineNo++;
      if (text.isBlank()) continue;
      ObjectNode line = (ObjectNode) JSON.readTree(text);
      JsonNode c = line.get(completionField);
      if (c == null || !c.isTextual()) {
        throw new IllegalArgumentException(
            input + ":" + lineNo + ": field '" + completionField + "' must be a string");
      }
      lines.add(line);
      completions.add(c.asText());
    }
    List<Verdict<D>> verdicts = t.judge(problems, completions);
    StringBuilder out = new StringBuilder();
    int solved = 0;
    int failed = 0;
    double total = 0;
    for (int i = 0; i < lines.size(); i++) {
      ObjectNode result = lines.get(i);
      Verdict<D> v = verdicts.get(i);
      if (v.failed()) {
        result.put("failed", v.failure());
        failed++;
      } else {
        result.put("reward", rounded(v.outcome().reward()));
        result.put("success", v.outcome().success());
        result.put("reason", v.outcome().reason());
        result.set("trace", trace(v.prefixes(), problems.get(i), completions.get(i)));
        solved += v.outcome().success() ? 1 : 0;
        total += v.outcome().reward();
      }
      out.append(JSON.writeValueAsString(result)).append('\n');
    }
    finish(out, lines.size() - failed, total, solved, failed);
    return 0;
  }

  /** Writes the scored lines and the summary. */
  private void finish(StringBuilder out, int count, double total, int solved, int failed)
      throws IOException {
    if (output != null) {
      AtomicFiles.writeString(output, out.toString());
    } else {
      spec.commandLine().getOut().print(out);
      spec.commandLine().getOut().flush();
    }
    PrintWriter err = spec.commandLine().getErr();
    err.println(
        "scored "
            + count
            + " completions: mean reward "
            + (count == 0 ? "n/a" : rounded(total / count).toPlainString())
            + ", solved "
            + solved
            + "/"
            + count
            + (failed > 0 ? "; " + failed + " reward requests failed (field 'failed')" : ""));
    err.flush();
  }

  /**
   * The prefix score at every character boundary where it changes (at line ends only for very long
   * completions). Boundaries inside a surrogate pair are skipped.
   */
  static <D> ArrayNode trace(Verifier<D> verifier, Problem<D> problem, String text) {
    ArrayNode trace = JSON.createArrayNode();
    double previous = verifier.score(problem, "").value();
    boolean full = text.length() <= FULL_TRACE_MAX_CHARS;
    for (int end = 1; end <= text.length(); end++) {
      boolean boundary =
          end == text.length()
              || (full
                  ? !Character.isLowSurrogate(text.charAt(end))
                  : text.charAt(end - 1) == '\n');
      if (!boundary) {
        continue;
      }
      PrefixScore s = verifier.score(problem, text.substring(0, end));
      if (s.value() != previous) {
        ObjectNode point = trace.addObject();
        point.put("chars", text.codePointCount(0, end));
        point.put("score", rounded(s.value()));
        point.put("reason", s.reason());
        previous = s.value();
      }
    }
    return trace;
  }

  /** Rounds to 9 decimals so 3 * 0.1 prints as 0.3 in the JSON. */
  static BigDecimal rounded(double v) {
    BigDecimal d = BigDecimal.valueOf(v).setScale(9, RoundingMode.HALF_EVEN).stripTrailingZeros();
    return d.signum() == 0 ? BigDecimal.ZERO : d;
  }
}
