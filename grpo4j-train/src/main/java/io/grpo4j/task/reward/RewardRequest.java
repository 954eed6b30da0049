package io.grpo4j.task.reward;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * One finished completion to judge, exactly what a reward program or service receives as one JSON
 * object: {@code {"id": ..., "prompt": ..., "completion": ..., "answer": ..., "metadata": {...}}}.
 *
 * @param id unique within one batch; the response must carry it back
 * @param prompt the prompt as the model saw it before any chat template: a string, or the list of
 *     chat messages {@code {role, content}} of a chat row
 * @param completion the model's completion text (without stop tokens)
 * @param answer the row's reference answer, any JSON value ({@code null} when the row has none)
 * @param metadata the row's other fields, passed through untouched (an empty object when none)
 */
public record RewardRequest(
    String id, JsonNode prompt, String completion, JsonNode answer, JsonNode metadata) {
  public RewardRequest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(completion, "completion");
    prompt = prompt == null ? JsonNodeFactory.instance.nullNode() : prompt;
    answer = answer == null ? JsonNodeFactory.instance.nullNode() : answer;
    metadata = metadata == null ? JsonNodeFactory.instance.objectNode() : metadata;
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The request as the JSON object of the protocol: the components, in their order. */
  public ObjectNode toJson() {
    return JSON.valueToTree(this);
  }

  /** The answer as text: a JSON string's value, otherwise the JSON text ({@code ""} for null). */
  static String answerText(JsonNode answer) {
    if (answer == null || answer.isNull() || answer.isMissingNode()) return "";
    return answer.isTextual() ? answer.textValue() : answer.toString();
  }
}
