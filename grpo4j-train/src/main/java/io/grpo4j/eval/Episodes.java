package io.grpo4j.eval;

import io.grpo4j.generate.EpisodeSampler;
import io.grpo4j.generate.Sample;
import io.grpo4j.generate.SamplingParams;
import io.grpo4j.model.ChatTemplate;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.model.Tokenizer;
import io.grpo4j.task.ChatMessage;
import io.grpo4j.task.Outcome;
import io.grpo4j.task.Problem;
import io.grpo4j.task.PromptStyle;
import io.grpo4j.task.Task;
import io.grpo4j.task.env.EnvConfig;
import io.grpo4j.task.env.EnvReply;
import io.grpo4j.task.env.EnvRequest;
import io.grpo4j.task.env.EnvironmentClient;
import io.grpo4j.task.env.EnvironmentTask;
import io.grpo4j.task.env.EpisodeRows;
import io.grpo4j.task.reward.RewardFailureException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Multi-turn episodes against an environment, scored: the glue between the {@link EpisodeSampler}
 * (tokens, KV cache) and an {@link EnvironmentClient} (the JSON Lines protocol). After each model
 * turn the turn's text goes to the environment with the episode so far; an observation is tokenized
 * and appended — as plain text ({@code prompt_style: plain}), or rendered through the model's chat
 * template as a {@code tool} or {@code user} message ({@code chat}) — and the model goes on; a
 * {@code done} reply ends the episode with its reward.
 *
 * <p>Scores become token rewards like prefix scores: with {@code turn_scores} s_1 … s_K (the
 * cumulative score of the episode through model turn k), the last token of turn k gets s_k −
 * s_{k−1} (s_0 = 0) and the episode's last token also R − s_K, so an episode's token rewards sum to
 * its reward R; observation tokens get 0. Without turn scores the whole reward lands on the last
 * token.
 *
 * <p>An episode whose environment failed (timeout, crash, malformed or {@code error} reply, a
 * broken rule of the protocol) is a failure, not a reward: its {@link Scoring.Result} says why.
 */
public final class Episodes<D> {
  private final Task<D> task;
  private final Prompts<D> prompts;
  private final Tokenizer tokenizer;
  private final Set<Integer> stops;
  private final int samplableVocab;
  private final ChatTemplate template;
  private final EnvConfig env;
  private final EnvironmentClient client;
  private final List<byte[]> turnStops;

  /**
   * @param style {@code chat} renders observations through the folder's chat template
   */
  public Episodes(
      Task<D> task,
      Prompts<D> prompts,
      PromptStyle style,
      ModelFolder folder,
      EnvConfig env,
      EnvironmentClient client) {
    this.task = task;
    this.prompts = prompts;
    this.tokenizer = folder.tokenizer();
    this.stops = folder.stopTokenIds();
    this.samplableVocab = folder.samplableVocab();
    this.template = style == PromptStyle.CHAT ? folder.chatTemplate().orElseThrow() : null;
    this.env = env;
    this.client = client;
    this.turnStops = env.turnStop().stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
  }

  /**
   * The episodes of a task played against an environment ({@link EnvironmentTask}, {@code env:}),
   * or null for any other task (single-turn rollouts).
   */
  public static <D> Episodes<D> of(Task<D> task, Prompts<D> prompts, ModelFolder folder) {
    if (!(task instanceof EnvironmentTask<?> et)) return null;
    return new Episodes<>(task, prompts, prompts.style(), folder, et.config(), et.client());
  }

  public EnvironmentClient client() {
    return client;
  }

  private int failedBatches;

  /**
   * Counts batches in which every episode failed; after {@code env.max_failed_batches} in a row the
   * run must stop: throws with the environment's last stderr lines. An environment that dies on
   * start-up thus stops the run at once instead of training on nothing.
   */
  public void checkFailures(Batch batch) {
    int failed = batch.failures();
    failedBatches = failed > 0 && failed == batch.results().size() ? failedBatches + 1 : 0;
    if (failedBatches >= env.maxFailedBatches()) {
      String last = batch.results().get(batch.results().size() - 1).failure();
      throw new RewardFailureException(
          "every episode failed in "
              + failedBatches
              + " batches in a row (env.max_failed_batches); last failure: "
              + last,
          client.diagnostics());
    }
  }

  /**
   * The episodes of one call with their environment statistics.
   *
   * @param results one per episode, n per problem in problem order (failures say why)
   * @param rollout the sampler's episodes and timings
   * @param envCalls requests sent to the environment
   * @param envSeconds their summed latency (request sent to reply received)
   */
  public record Batch(
      List<Scoring.Result> results,
      EpisodeSampler.Result rollout,
      long envCalls,
      double envSeconds) {

    /** Episodes that failed. */
    public int failures() {
      return (int) results.stream().filter(Scoring.Result::failed).count();
    }

    /** Mean model turns per episode. */
    public double meanTurns() {
      return rollout.samples().stream().mapToInt(Sample::turns).average().orElse(0);
    }

    /** Observation tokens over all tokens after the prompts: the share the loss masks out. */
    public double maskedShare() {
      long all = 0, model = 0;
      for (Sample s : rollout.samples()) {
        all += s.length();
        model += s.modelTokens();
      }
      return all == 0 ? 0 : (all - model) / (double) all;
    }
  }

  /**
   * Runs {@code n} episodes of every problem with {@code model} and scores them.
   *
   * @param params sampling settings; {@code maxNewTokens} limits each model turn and the stop
   *     tokens end a turn
   * @param idPrefix the prefix of this call's request ids (e.g. the step), so ids are unique
   */
  public Batch run(
      Qwen2Model model, List<Problem<D>> problems, int n, SamplingParams params, String idPrefix) {
    List<int[]> ids = new ArrayList<>(problems.size());
    for (Problem<D> p : problems) ids.add(prompts.ids(p));
    List<Conversation> rows = new ArrayList<>(problems.size() * n);
    for (int r = 0; r < problems.size() * n; r++) rows.add(new Conversation(problems.get(r / n)));
    Turns turns = new Turns(rows, idPrefix);
    EpisodeSampler.Result rollout =
        new EpisodeSampler(model, samplableVocab)
            .generate(
                ids, n, params, new EpisodeSampler.Limits(env.maxTurns(), env.maxTokens()), turns);
    List<Scoring.Result> results = new ArrayList<>(rows.size());
    for (int r = 0; r < rows.size(); r++) {
      Sample s = rollout.samples().get(r);
      String text = transcript(s);
      String failure = rollout.failures().get(r);
      if (failure == null && rows.get(r).failure != null) failure = rows.get(r).failure;
      if (failure == null && rows.get(r).done == null)
        failure = "the episode ended without a reply";
      if (failure != null) {
        results.add(new Scoring.Result(null, text, failure));
        continue;
      }
      EnvReply done = rows.get(r).done;
      double[] rewards;
      try {
        rewards = tokenRewards(s, done.reward(), done.turnScores());
      } catch (IllegalArgumentException e) {
        results.add(new Scoring.Result(null, text, e.getMessage()));
        continue;
      }
      results.add(
          new Scoring.Result(
              new ScoredSample(
                  s, text, rewards, new Outcome(done.reward(), done.success(), done.reason())),
              text,
              null));
    }
    return new Batch(results, rollout, turns.calls.get(), turns.nanos.get() / 1e9);
  }

  /**
   * Token rewards of an episode: turn k's last token gets s_k − s_{k−1}, the last token also R −
   * s_K; observation tokens 0.
   *
   * @throws IllegalArgumentException when {@code turnScores} does not have one score per turn
   */
  public static double[] tokenRewards(Sample s, double reward, double[] turnScores) {
    double[] r = new double[s.length()];
    if (s.length() == 0) return r;
    List<Integer> turnEnds = new ArrayList<>();
    for (int i = 0; i < s.length(); i++) {
      if (s.isModelToken(i) && (i + 1 == s.length() || !s.isModelToken(i + 1))) turnEnds.add(i);
    }
    int lastModel = turnEnds.isEmpty() ? s.length() - 1 : turnEnds.get(turnEnds.size() - 1);
    double previous = 0;
    if (turnScores != null) {
      if (turnScores.length != turnEnds.size()) {
        throw new IllegalArgumentException(
            "malformed reply: turn_scores has "
                + turnScores.length
                + " entries for "
                + turnEnds.size()
                + " model turns");
      }
      for (int k = 0; k < turnScores.length; k++) {
        r[turnEnds.get(k)] += turnScores[k] - previous;
        previous = turnScores[k];
      }
    }
    r[lastModel] += reward - previous;
    return r;
  }

  /** The episode's text: every token's text, stop tokens excepted. */
  private String transcript(Sample s) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      int id = s.completionIds()[i];
      if (s.isModelToken(i) && stops.contains(id)) continue;
      all.writeBytes(bytes(id));
    }
    return all.toString(StandardCharsets.UTF_8);
  }

  private byte[] bytes(int id) {
    try {
      return tokenizer.tokenBytes(id);
    } catch (UnsupportedOperationException e) {
      return tokenizer.decode(new int[] {id}).getBytes(StandardCharsets.UTF_8);
    }
  }

  /** One episode's side of the conversation. */
  private final class Conversation {
    final Problem<D> problem;
    final List<EnvRequest.Turn> turns = new ArrayList<>();
    final List<Map<String, Object>> messages = new ArrayList<>();
    final ByteArrayOutputStream turnBytes = new ByteArrayOutputStream();
    int turnBytesIds;
    volatile EnvReply done;
    volatile String failure;

    Conversation(Problem<D> problem) {
      this.problem = problem;
      if (template != null) {
        for (ChatMessage m : task.messages(problem)) messages.add(new HashMap<>(m.asMap()));
      }
    }
  }

  /** The sampler's view of the environment. */
  private final class Turns implements EpisodeSampler.Turns {
    final List<Conversation> rows;
    final String idPrefix;
    final AtomicLong calls = new AtomicLong();
    final AtomicLong nanos = new AtomicLong();

    Turns(List<Conversation> rows, String idPrefix) {
      this.rows = rows;
      this.idPrefix = idPrefix;
    }

    @Override
    public boolean endsTurn(int row, int[] turn) {
      if (turnStops.isEmpty()) return false;
      Conversation c = rows.get(row);
      if (turn.length < c.turnBytesIds) { // a new turn
        c.turnBytes.reset();
        c.turnBytesIds = 0;
      }
      int before = c.turnBytes.size();
      for (; c.turnBytesIds < turn.length; c.turnBytesIds++) {
        int id = turn[c.turnBytesIds];
        if (!stops.contains(id)) c.turnBytes.writeBytes(bytes(id));
      }
      byte[] all = c.turnBytes.toByteArray();
      for (byte[] stop : turnStops) {
        if (indexOf(all, stop, Math.max(0, before - stop.length + 1)) >= 0) return true;
      }
      return false;
    }

    @Override
    public CompletableFuture<EpisodeSampler.Reply> turnEnded(
        int row, int turn, int[] turnIds, int room, boolean last) {
      Conversation c = rows.get(row);
      c.turnBytes.reset();
      c.turnBytesIds = 0;
      ByteArrayOutputStream content = new ByteArrayOutputStream();
      ByteArrayOutputStream inContext = new ByteArrayOutputStream();
      for (int id : turnIds) {
        byte[] b = bytes(id);
        inContext.writeBytes(b);
        if (!stops.contains(id)) content.writeBytes(b);
      }
      String text = content.toString(StandardCharsets.UTF_8);
      List<Map<String, Object>> before = List.copyOf(c.messages);
      EnvRequest.Turn assistant = EnvRequest.Turn.assistant(text);
      c.turns.add(assistant);
      String id = idPrefix + ":" + row + ":" + turn;
      return ask(c, id, last)
          .thenCompose(
              reply ->
                  handle(
                      c,
                      id,
                      reply,
                      last,
                      room,
                      before,
                      assistant,
                      inContext.toString(StandardCharsets.UTF_8)));
    }

    private CompletableFuture<EnvReply> ask(Conversation c, String id, boolean last) {
      EnvRequest request = rowRequest(c, id, last);
      long t0 = System.nanoTime();
      calls.incrementAndGet();
      return client.step(request).whenComplete((r, e) -> nanos.addAndGet(System.nanoTime() - t0));
    }

    private CompletableFuture<EpisodeSampler.Reply> handle(
        Conversation c,
        String id,
        EnvReply reply,
        boolean last,
        int room,
        List<Map<String, Object>> before,
        EnvRequest.Turn assistant,
        String turnInContext) {
      if (reply.failed()) return fail(c, reply.reason());
      if (reply.done()) {
        c.done = reply;
        return CompletableFuture.completedFuture(EpisodeSampler.Reply.end());
      }
      if (last) {
        return fail(
            c, "the environment answered a final request with an observation; it must be done");
      }
      int[] obs;
      try {
        obs = observationIds(c, reply, before, assistant, turnInContext);
      } catch (IllegalArgumentException | IllegalStateException e) {
        return fail(c, e.getMessage());
      }
      if (obs.length + 1 > room) {
        // no room for the observation and a model token: the episode ends with a final request
        c.messages.clear();
        c.messages.addAll(before);
        return ask(c, id + ":final", true)
            .thenCompose(
                r -> handle(c, id + ":final", r, true, room, before, assistant, turnInContext));
      }
      c.turns.add(EnvRequest.Turn.environment(reply.observation()));
      return CompletableFuture.completedFuture(EpisodeSampler.Reply.observe(obs));
    }

    private int[] observationIds(
        Conversation c,
        EnvReply reply,
        List<Map<String, Object>> before,
        EnvRequest.Turn assistant,
        String turnInContext) {
      if (template == null) return tokenizer.encode(reply.observation());
      String role =
          reply.role() != null ? reply.role() : assistant.toolCalls().isEmpty() ? "user" : "tool";
      List<Map<String, Object>> after = new ArrayList<>(before);
      after.add(Map.of("role", "assistant", "content", assistant.content()));
      after.add(Map.of("role", role, "content", reply.observation()));
      List<Map<String, Object>> tools = task.tools(c.problem);
      String p0 = template.render(before, tools, true, Map.of());
      String p1 = template.render(after, tools, true, Map.of());
      int from;
      if (p1.startsWith(p0) && p1.startsWith(turnInContext, p0.length())) {
        from = p0.length() + turnInContext.length(); // the model wrote the end of turn itself
      } else if (p1.startsWith(p0) && p1.startsWith(assistant.content(), p0.length())) {
        // the turn ended on another stop token or the length limit: the template's end of turn
        // follows what the model wrote
        from = p0.length() + assistant.content().length();
      } else {
        throw new IllegalStateException(
            "the chat template does not render the conversation so far as the model saw it"
                + " (it changes earlier turns or the model's turn); use prompt_style: plain");
      }
      c.messages.clear();
      c.messages.addAll(after);
      return tokenizer.encode(p1.substring(from));
    }

    private CompletableFuture<EpisodeSampler.Reply> fail(Conversation c, String why) {
      c.failure = why;
      return CompletableFuture.failedFuture(new CompletionException(why, null));
    }

    private EnvRequest rowRequest(Conversation c, String id, boolean last) {
      EpisodeRows.Row row = EpisodeRows.of(task, c.problem);
      return new EnvRequest(id, row.prompt(), row.answer(), row.metadata(), c.turns, last);
    }
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
      return i;
    }
    return -1;
  }
}
