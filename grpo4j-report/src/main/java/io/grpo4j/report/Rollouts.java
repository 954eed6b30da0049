package io.grpo4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rollout browser's view of one step: the logged rows of {@code samples.jsonl} grouped by
 * prompt group, each group with the rewards of its rows and its baseline, each completion with its
 * tokens and the per-token values it carries.
 *
 * <p>The group baseline shown is {@code b = mean_i R_i} over the group's completions present in the
 * file (the trainer may log only some of a group's G completions; then it is the mean over those,
 * and {@code logged < G} says so). Per token the view carries whichever of {@code token_advantages}
 * (A_t), {@code token_rewards} (r_t), {@code logprobs} and {@code entropies} the row has; a missing
 * field is absent from the output (the page greys that colouring out), and an array whose length is
 * not the token count is dropped rather than misaligned. Rows of multi-turn episodes also carry
 * {@code observation} (per token: true where the environment wrote it) and {@code turns}; the page
 * shows those tokens apart and uncoloured.
 */
public final class Rollouts {
  static final Map<String, String> TOKEN_FIELDS =
      Map.of(
          "token_advantages", "adv",
          "token_rewards", "r",
          "logprobs", "logprob",
          "entropies", "entropy");

  private Rollouts() {}

  /** The groups of one step, in order of first appearance. */
  public static ArrayNode groups(List<JsonNode> rows) {
    Map<Long, List<JsonNode>> byGroup = new LinkedHashMap<>();
    for (JsonNode r : rows) {
      long g = r.has("group") ? r.path("group").asLong() : r.path("index").asLong();
      byGroup.computeIfAbsent(g, k -> new ArrayList<>()).add(r);
    }
    ArrayNode out = RunSource.JSON.createArrayNode();
    for (var e : byGroup.entrySet()) {
      ObjectNode g = out.addObject();
      g.put("group", e.getKey());
      g.put("prompt", e.getValue().get(0).path("prompt").asText(""));
      ArrayNode rewards = g.putArray("rewards");
      double sum = 0;
      int n = 0;
      ArrayNode completions = g.putArray("completions");
      for (JsonNode r : e.getValue()) {
        double reward = r.path("reward").asDouble(Double.NaN);
        if (Double.isFinite(reward)) {
          rewards.add(reward);
          sum += reward;
          n++;
        } else rewards.addNull();
        completions.add(completion(r));
      }
      if (n > 0) g.put("baseline", sum / n);
      else g.putNull("baseline");
      g.put("logged", e.getValue().size());
    }
    return out;
  }

  private static ObjectNode completion(JsonNode r) {
    ObjectNode c = RunSource.JSON.createObjectNode();
    c.put("index", r.path("index").asLong(-1));
    c.put("completion", r.path("completion").asText(""));
    c.set("reward", r.path("reward").isNumber() ? r.get("reward") : null);
    c.put("success", r.path("success").asBoolean(false));
    c.put("reason", r.path("reason").asText(""));
    ArrayNode tokens = c.putArray("tokens");
    JsonNode toks = r.path("tokens");
    if (toks.isArray()) toks.forEach(t -> tokens.add(t.asText()));
    int len = tokens.size();
    // episodes: which tokens an environment wrote (kept in the context, not trained on)
    JsonNode obs = r.path("observation");
    if (obs.isArray() && obs.size() == len) {
      ArrayNode o = c.putArray("observation");
      obs.forEach(x -> o.add(x.asBoolean(false)));
      c.put("turns", r.path("turns").asInt(0));
    }
    ObjectNode values = c.putObject("values");
    for (var f : TOKEN_FIELDS.entrySet()) {
      JsonNode a = r.path(f.getKey());
      if (!a.isArray() || a.size() != len) continue;
      ArrayNode v = values.putArray(f.getValue());
      a.forEach(
          x -> {
            if (x.isNumber()) v.add(x.asDouble());
            else v.addNull();
          });
    }
    return c;
  }
}
