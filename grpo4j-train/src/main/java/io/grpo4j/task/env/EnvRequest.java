package io.grpo4j.task.env;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What an environment receives after each model turn, exactly one JSON object of the protocol
 * (docs/environments.md):
 *
 * <pre>{@code
 * {"id": "...", "prompt": ..., "answer": ..., "metadata": {...},
 *  "turns": [{"role": "assistant", "content": "..."}, {"role": "environment", "content": "..."},
 *            ..., {"role": "assistant", "content": "<the latest turn>"}],
 *  "final": true}
 * }</pre>
 *
 * {@code final} is written only when true: the episode has no room for another turn ({@code
 * env.max_turns} reached, or the next observation would not fit in {@code env.max_tokens}), and the
 * reply must end it with {@code done}.
 *
 * @param id unique among the requests in flight; the reply must carry it back
 * @param prompt the row's prompt as the model saw it before any chat template: a string, or the
 *     row's chat messages
 * @param answer the row's reference answer, any JSON value ({@code null} when the row has none)
 * @param metadata the row's other fields, untouched
 * @param turns the episode so far, alternating model and environment turns, ending with the model's
 *     latest turn
 * @param last true for the {@code final} request
 */
public record EnvRequest(
    String id,
    JsonNode prompt,
    JsonNode answer,
    JsonNode metadata,
    List<Turn> turns,
    boolean last) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public EnvRequest {
    Objects.requireNonNull(id, "id");
    prompt = prompt == null ? JsonNodeFactory.instance.nullNode() : prompt;
    answer = answer == null ? JsonNodeFactory.instance.nullNode() : answer;
    metadata = metadata == null ? JsonNodeFactory.instance.objectNode() : metadata;
    turns = List.copyOf(turns);
    if (turns.isEmpty() || !turns.get(turns.size() - 1).role().equals(Turn.ASSISTANT)) {
      throw new IllegalArgumentException("a request's turns end with the model's turn");
    }
  }

  /**
   * One turn of an episode.
   *
   * @param role {@code assistant} (the model) or {@code environment}
   * @param content the turn's text: the model's turn up to and including the stop string that ended
   *     it (a stop token, such as the chat template's end of turn, adds no text); an observation as
   *     the environment sent it
   * @param toolCalls the {@code <tool_call>} blocks of a model turn, parsed ({@link ToolCalls}); an
   *     empty list when it has none (and for observations)
   */
  public record Turn(String role, String content, List<Map<String, Object>> toolCalls) {
    public static final String ASSISTANT = "assistant";
    public static final String ENVIRONMENT = "environment";

    public Turn {
      Objects.requireNonNull(role, "role");
      Objects.requireNonNull(content, "content");
      toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    /** A model turn, its tool calls parsed from the text. */
    public static Turn assistant(String content) {
      return new Turn(ASSISTANT, content, ToolCalls.parse(content));
    }

    public static Turn environment(String content) {
      return new Turn(ENVIRONMENT, content, List.of());
    }
  }

  /** The request as the protocol's JSON object. */
  public ObjectNode toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("id", id);
    o.set("prompt", prompt);
    o.set("answer", answer);
    o.set("metadata", metadata);
    ArrayNode ts = o.putArray("turns");
    for (Turn t : turns) {
      ObjectNode n = ts.addObject().put("role", t.role()).put("content", t.content());
      if (!t.toolCalls().isEmpty()) n.set("tool_calls", JSON.valueToTree(t.toolCalls()));
    }
    if (last) o.put("final", true);
    return o;
  }

  /** Model turns in this request. */
  public int modelTurns() {
    int n = 0;
    for (Turn t : turns) if (t.role().equals(Turn.ASSISTANT)) n++;
    return n;
  }
}
