package io.grpo4j.task.env;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The JSON Lines wire format of environments (docs/environments.md). A request is {@link
 * EnvRequest#toJson}; a reply is one JSON object, matched to its request by {@code id}:
 *
 * <pre>{@code
 * {"id": "...", "observation": "text appended to the context"}                 go on
 * {"id": "...", "observation": "...", "role": "tool"}                           go on, as a tool message (chat)
 * {"id": "...", "done": true, "reward": 0.7, "success": true, "turn_scores": [0.2, 0.7], "reason": "..."}
 * {"id": "...", "error": "why"}                                                  cannot answer: a failure
 * }</pre>
 *
 * In a done reply {@code reward} (a finite number) is required; {@code success} defaults to {@code
 * reward > 0}; {@code turn_scores} (finite numbers, one per model turn) and {@code reason} are
 * optional.
 */
public final class EnvProtocol {
  static final ObjectMapper JSON = new ObjectMapper();

  private EnvProtocol() {}

  /** A parsed reply: the id it answers and what it says. */
  public record Reply(String id, EnvReply reply) {}

  /** One request as a single line of JSON (no newline). */
  public static String requestLine(EnvRequest request) {
    try {
      return JSON.writeValueAsString(request.toJson());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise an environment request", e);
    }
  }

  /**
   * Parses one reply line.
   *
   * @throws IllegalArgumentException saying what is wrong when the line is not a JSON object with a
   *     string or integer {@code id} (such a line cannot be matched to a request: a protocol
   *     violation)
   */
  public static Reply parseLine(String line) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("reply is not JSON: " + abbreviate(line));
    }
    return parse(node);
  }

  /**
   * Parses one reply object. A missing or non-scalar id throws; a reply with an id but bad fields
   * is a failure of that request.
   */
  public static Reply parse(JsonNode node) {
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException(
          "reply must be a JSON object, got: " + abbreviate(String.valueOf(node)));
    }
    JsonNode id = node.get("id");
    if (id == null || !(id.isTextual() || id.isIntegralNumber())) {
      throw new IllegalArgumentException(
          "reply has no string 'id': " + abbreviate(node.toString()));
    }
    return new Reply(id.asText(), reply(node));
  }

  private static EnvReply reply(JsonNode node) {
    JsonNode error = node.get("error");
    if (error != null && !error.isNull()) {
      return EnvReply.failure("environment error: " + error.asText());
    }
    JsonNode done = node.get("done");
    if (done != null && !done.isNull() && !done.isBoolean()) {
      return malformed("field 'done' must be true or false", node);
    }
    JsonNode observation = node.get("observation");
    boolean isDone = done != null && done.asBoolean();
    if (!isDone) {
      if (observation == null || !observation.isTextual()) {
        return malformed(
            "a reply needs a string 'observation' to go on, or \"done\": true to end", node);
      }
      JsonNode role = node.get("role");
      if (role != null && !role.isNull()) {
        if (!role.isTextual() || !(role.asText().equals("tool") || role.asText().equals("user"))) {
          return malformed("field 'role' must be \"tool\" or \"user\"", node);
        }
        return EnvReply.observation(observation.textValue(), role.asText());
      }
      return EnvReply.observation(observation.textValue());
    }
    if (observation != null && !observation.isNull()) {
      return malformed("a done reply has no 'observation'", node);
    }
    JsonNode reward = node.get("reward");
    if (reward == null || !reward.isNumber() || !Double.isFinite(reward.doubleValue())) {
      return malformed("field 'reward' must be a finite number", node);
    }
    double r = reward.doubleValue();
    JsonNode success = node.get("success");
    if (success != null && !success.isNull() && !success.isBoolean()) {
      return malformed("field 'success' must be true or false", node);
    }
    boolean solved = success == null || success.isNull() ? r > 0 : success.booleanValue();
    double[] scores = null;
    JsonNode ts = node.get("turn_scores");
    if (ts != null && !ts.isNull()) {
      if (!ts.isArray()) return malformed("field 'turn_scores' must be an array of numbers", node);
      scores = new double[ts.size()];
      for (int i = 0; i < scores.length; i++) {
        JsonNode s = ts.get(i);
        if (!s.isNumber() || !Double.isFinite(s.doubleValue())) {
          return malformed("turn_scores[" + i + "] must be a finite number", node);
        }
        scores[i] = s.doubleValue();
      }
    }
    JsonNode reason = node.get("reason");
    String why = reason == null || reason.isNull() ? "" : reason.asText();
    return EnvReply.done(r, solved, scores, why);
  }

  private static EnvReply malformed(String what, JsonNode node) {
    return EnvReply.failure("malformed reply (" + what + "): " + abbreviate(node.toString()));
  }

  static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "…";
  }
}
