package io.grpo4j.task.reward;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The wire format shared by {@link CommandReward} and {@link HttpReward}. A request is {@link
 * RewardRequest#toJson}; a response is one JSON object
 *
 * <pre>{@code
 * {"id": "s12", "reward": 0.7, "success": true, "prefix_scores": [[0, 0.0], [14, 0.5]], "reason": "..."}
 * }</pre>
 *
 * where {@code id} and {@code reward} (a finite number) are required; {@code success} defaults to
 * {@code reward > 0}; {@code prefix_scores} (see {@link PrefixScores}) and {@code reason} are
 * optional. A response {@code {"id": "s12", "error": "..."}} reports that the program could not
 * judge this request: an infrastructure failure, not a reward.
 */
public final class RewardProtocol {
  static final ObjectMapper JSON = new ObjectMapper();

  private RewardProtocol() {}

  /** A parsed response: the id it answers and the verdict. */
  public record Response(String id, Judgement judgement) {}

  /** One request as a single line of JSON (no newline). */
  public static String requestLine(RewardRequest request) {
    try {
      return JSON.writeValueAsString(request.toJson());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a reward request", e);
    }
  }

  /**
   * Parses one response line.
   *
   * @throws IllegalArgumentException saying what is wrong, when the line is not a response object
   *     with a string or number {@code id}
   */
  public static Response parseLine(String line) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("response is not JSON: " + abbreviate(line));
    }
    return parse(node);
  }

  /**
   * Parses one response object. A missing or non-scalar id throws (the response cannot be matched
   * to a request); a bad reward or prefix score gives a failed judgement for that id.
   */
  public static Response parse(JsonNode node) {
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException(
          "response must be a JSON object, got: " + abbreviate(String.valueOf(node)));
    }
    JsonNode id = node.get("id");
    if (id == null || !(id.isTextual() || id.isIntegralNumber())) {
      throw new IllegalArgumentException(
          "response has no string 'id': " + abbreviate(node.toString()));
    }
    String key = id.asText();
    JsonNode error = node.get("error");
    if (error != null && !error.isNull()) {
      return new Response(key, Judgement.failure("reward program error: " + error.asText()));
    }
    JsonNode reward = node.get("reward");
    if (reward == null || !reward.isNumber() || !Double.isFinite(reward.doubleValue())) {
      return new Response(
          key,
          Judgement.failure(
              "malformed response (field 'reward' must be a finite number): "
                  + abbreviate(node.toString())));
    }
    double r = reward.doubleValue();
    JsonNode success = node.get("success");
    if (success != null && !success.isNull() && !success.isBoolean()) {
      return new Response(
          key,
          Judgement.failure(
              "malformed response (field 'success' must be true or false): "
                  + abbreviate(node.toString())));
    }
    boolean solved = success == null || success.isNull() ? r > 0 : success.booleanValue();
    PrefixScores prefix = null;
    JsonNode ps = node.get("prefix_scores");
    if (ps != null && !ps.isNull()) {
      try {
        prefix = prefixScores(ps);
      } catch (IllegalArgumentException e) {
        return new Response(key, Judgement.failure("malformed response: " + e.getMessage()));
      }
    }
    JsonNode reason = node.get("reason");
    String why = reason == null || reason.isNull() ? "" : reason.asText();
    return new Response(key, new Judgement(r, solved, prefix, why, false));
  }

  private static PrefixScores prefixScores(JsonNode ps) {
    if (!ps.isArray()) {
      throw new IllegalArgumentException("prefix_scores must be an array of [char_offset, score]");
    }
    int[] offsets = new int[ps.size()];
    double[] scores = new double[ps.size()];
    for (int i = 0; i < ps.size(); i++) {
      JsonNode pair = ps.get(i);
      if (!pair.isArray()
          || pair.size() != 2
          || !pair.get(0).canConvertToInt()
          || !pair.get(0).isIntegralNumber()
          || !pair.get(1).isNumber()) {
        throw new IllegalArgumentException(
            "prefix_scores[" + i + "] must be [char_offset, score], got " + pair);
      }
      offsets[i] = pair.get(0).intValue();
      scores[i] = pair.get(1).doubleValue();
    }
    return new PrefixScores(offsets, scores);
  }

  /**
   * Matches responses to a batch by id, in any order. Requests without a response fail with {@code
   * missing}; prefix scores beyond the end of their completion fail the request; responses with an
   * unknown or repeated id are reported to {@code stray} and otherwise ignored.
   */
  static List<Judgement> match(
      List<RewardRequest> batch,
      List<Response> responses,
      String missing,
      java.util.function.Consumer<String> stray) {
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < batch.size(); i++) {
      if (index.put(batch.get(i).id(), i) != null) {
        throw new IllegalArgumentException(
            "duplicate request id in one batch: " + batch.get(i).id());
      }
    }
    Judgement[] out = new Judgement[batch.size()];
    for (Response r : responses) {
      Integer i = index.get(r.id());
      if (i == null || out[i] != null) {
        stray.accept(
            (i == null ? "response for unknown id '" : "second response for id '") + r.id() + "'");
        continue;
      }
      out[i] = checked(batch.get(i), r.judgement());
    }
    List<Judgement> list = new ArrayList<>(out.length);
    for (Judgement j : out) list.add(j != null ? j : Judgement.failure(missing));
    return list;
  }

  /** Rejects prefix scores whose offsets lie beyond the completion. */
  static Judgement checked(RewardRequest request, Judgement j) {
    if (j.prefixScores() == null) return j;
    String c = request.completion();
    int length = c.codePointCount(0, c.length());
    if (j.prefixScores().lastOffset() > length) {
      return Judgement.failure(
          "malformed response: prefix_scores offset "
              + j.prefixScores().lastOffset()
              + " is beyond the completion's "
              + length
              + " characters");
    }
    return j;
  }

  static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "…";
  }
}
