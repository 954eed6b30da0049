package io.grpo4j.task.jsonl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import io.grpo4j.task.ChatMessage;
import io.grpo4j.task.EpochData;
import io.grpo4j.task.Outcome;
import io.grpo4j.task.PrefixScore;
import io.grpo4j.task.Problem;
import io.grpo4j.task.PromptStyle;
import io.grpo4j.task.Task;
import io.grpo4j.task.Verdict;
import io.grpo4j.task.Verifier;
import io.grpo4j.task.env.EpisodeRows;
import io.grpo4j.task.reward.Judgement;
import io.grpo4j.task.reward.RewardRequest;
import io.grpo4j.task.reward.RewardSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A user's own task: prompts and answers from a JSONL dataset ({@link JsonlDataset}), rewards from
 * a {@link RewardSource} (built-in matchers, a program, an HTTP service, or a weighted mix).
 *
 * <p>Prompts: a string row's prompt (after {@code task.prompt_template}) is the user message; a
 * chat row's messages are used as they are. {@code task.system_prompt}, when set, becomes a system
 * message before them (unless the row starts with its own). In the plain style the system prompt
 * and the message contents are joined with newlines.
 *
 * <p>Training problems are visited epoch by epoch in a seeded order ({@link #trainBatch}); {@link
 * #draw} gives the first {@code n} of that order.
 */
public final class JsonlTask implements Task<JsonlRow>, EpochData<JsonlRow>, EpisodeRows<JsonlRow> {
  /** The task name in config files. */
  public static final String NAME = "jsonl";

  private final JsonlSettings settings;
  private final List<Problem<JsonlRow>> train;
  private final RewardSource rewards;

  /**
   * @param settings how rows become prompts
   * @param train the training rows (may be empty for a task used only to evaluate or score)
   * @param rewards judges completions; closed by {@link #close}
   */
  public JsonlTask(JsonlSettings settings, List<Problem<JsonlRow>> train, RewardSource rewards) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.train = List.copyOf(train);
    this.rewards = Objects.requireNonNull(rewards, "rewards");
  }

  @Override
  public String name() {
    return NAME;
  }

  /**
   * The {@code n} training problems of a step: positions {@code step·n … step·n+n−1} of the {@link
   * EpochOrder} seeded by {@code seed}.
   */
  @Override
  public List<Problem<JsonlRow>> trainBatch(long seed, long step, int n) {
    if (train.isEmpty()) throw new IllegalStateException("no training rows (data.train_file)");
    EpochOrder order = new EpochOrder(train.size(), seed);
    List<Problem<JsonlRow>> out = new ArrayList<>(n);
    for (long k = step * n; k < step * n + n; k++) out.add(train.get(order.row(k)));
    return out;
  }

  @Override
  public List<Problem<JsonlRow>> draw(long seed, int n) {
    return trainBatch(seed, 0, n);
  }

  @Override
  public List<Problem<JsonlRow>> readProblems(Path jsonl) throws IOException {
    return JsonlDataset.read(jsonl, settings);
  }

  @Override
  public String prompt(Problem<JsonlRow> problem, PromptStyle style) {
    JsonlRow row = problem.data();
    return switch (style) {
      case CHAT ->
          row.prompt() != null
              ? row.prompt()
              : row.messages().get(row.messages().size() - 1).content();
      case PLAIN ->
          messages(problem).stream().map(ChatMessage::content).collect(Collectors.joining("\n"));
    };
  }

  @Override
  public List<ChatMessage> messages(Problem<JsonlRow> problem) {
    JsonlRow row = problem.data();
    List<ChatMessage> out = new ArrayList<>();
    boolean ownSystem = row.messages() != null && row.messages().get(0).role().equals("system");
    if (!settings.systemPrompt().isEmpty() && !ownSystem) {
      out.add(new ChatMessage("system", settings.systemPrompt()));
    }
    if (row.prompt() != null) out.add(new ChatMessage("user", row.prompt()));
    else out.addAll(row.messages());
    return out;
  }

  /**
   * A row's {@code tools} field, when it is a list of tool specs: offered to the model through the
   * chat template ({@code prompt_style: chat}); it also stays in the row's metadata.
   */
  @Override
  public List<java.util.Map<String, Object>> tools(Problem<JsonlRow> problem) {
    JsonNode tools = problem.data().metadata().get("tools");
    if (tools == null || !tools.isArray() || tools.isEmpty()) return null;
    return TOOLS.convertValue(
        tools,
        new com.fasterxml.jackson.core.type.TypeReference<
            List<java.util.Map<String, Object>>>() {});
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper TOOLS =
      new com.fasterxml.jackson.databind.ObjectMapper();

  @Override
  public String referenceCompletion(Problem<JsonlRow> problem) {
    String c = problem.data().completion();
    if (c == null) {
      throw new IllegalArgumentException(
          problem.data().where()
              + ": field '"
              + settings.completionField()
              + "' (task.completion_field) is missing; sft needs a reference completion on every row");
    }
    return c;
  }

  /** The request a reward source receives for a completion (see {@link RewardRequest}). */
  public RewardRequest request(String id, Problem<JsonlRow> problem, String completion) {
    JsonlRow row = problem.data();
    return new RewardRequest(id, promptNode(row), completion, row.answer(), row.metadata());
  }

  /** The row's prompt, answer and other fields, as an environment receives them. */
  @Override
  public EpisodeRows.Row row(Problem<JsonlRow> problem) {
    JsonlRow row = problem.data();
    return new EpisodeRows.Row(promptNode(row), row.answer(), row.metadata());
  }

  /** The prompt before any template: the string, or the chat messages. */
  private static JsonNode promptNode(JsonlRow row) {
    JsonNode prompt;
    if (row.prompt() != null) {
      prompt = TextNode.valueOf(row.prompt());
    } else {
      ArrayNode messages = JsonNodeFactory.instance.arrayNode();
      for (ChatMessage m : row.messages()) {
        messages.addObject().put("role", m.role()).put("content", m.content());
      }
      prompt = messages;
    }
    return prompt;
  }

  /** One batch request to the reward sources; request ids are {@code <index>:<problem id>}. */
  @Override
  public List<Verdict<JsonlRow>> judge(List<Problem<JsonlRow>> problems, List<String> completions) {
    if (problems.size() != completions.size()) {
      throw new IllegalArgumentException(
          problems.size() + " problems but " + completions.size() + " completions");
    }
    List<RewardRequest> batch = new ArrayList<>(problems.size());
    for (int i = 0; i < problems.size(); i++) {
      batch.add(request(i + ":" + problems.get(i).id(), problems.get(i), completions.get(i)));
    }
    return rewards.judge(batch).stream().map(Verdict::<JsonlRow>of).toList();
  }

  /**
   * A verifier that asks the reward sources about one completion at a time. Prefixes score 0 (a
   * reward program is asked about finished completions only); an infrastructure failure throws
   * {@link IllegalStateException}. Training and evaluation use {@link #judge} instead, which
   * batches requests and reports failures without throwing.
   */
  @Override
  public Verifier<JsonlRow> verifier() {
    return new Verifier<>() {
      @Override
      public PrefixScore score(Problem<JsonlRow> problem, CharSequence prefix) {
        return new PrefixScore(0.0, false, "prefixes are judged by the reward's prefix_scores");
      }

      @Override
      public Outcome outcome(Problem<JsonlRow> problem, CharSequence completion) {
        Judgement j =
            rewards
                .judge(List.of(request("0:" + problem.id(), problem, completion.toString())))
                .get(0);
        if (j.failed()) throw new IllegalStateException("reward failed: " + j.reason());
        return j.outcome();
      }
    };
  }

  @Override
  public void close() {
    rewards.close();
  }
}
