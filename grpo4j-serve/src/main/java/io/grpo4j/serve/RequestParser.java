package io.grpo4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import io.grpo4j.generate.SamplingParams;
import io.grpo4j.model.ChatTemplate;
import io.grpo4j.model.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Turns a request body into a {@link GenerationJob}, or an {@link ApiException} that names the
 * offending field. Fields are read one by one (not bound to a class) so that a wrong type gets a
 * message about that field rather than a Jackson stack trace. Unknown fields are ignored, as
 * OpenAI-compatible servers do; features we do not implement (penalties, echo, best_of) are refused
 * rather than silently dropped.
 */
final class RequestParser {
  /** Most stop strings per request (OpenAI's limit). */
  static final int MAX_STOPS = 4;

  /** Most alternatives per token in logprobs. */
  static final int MAX_TOP_LOGPROBS = 20;

  /** /v1/completions' default max_tokens, as OpenAI documents it. */
  static final int COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String modelName;
  private final List<String> adapterNames;
  private final Tokenizer tokenizer;
  private final Optional<ChatTemplate> chatTemplate;
  private final Set<Integer> stopTokenIds;
  private final int maxModelLen;
  private final int maxN;

  RequestParser(
      String modelName,
      List<String> adapterNames,
      Tokenizer tokenizer,
      Optional<ChatTemplate> chatTemplate,
      Set<Integer> stopTokenIds,
      int maxModelLen,
      int maxN) {
    this.modelName = modelName;
    this.adapterNames = List.copyOf(adapterNames);
    this.tokenizer = tokenizer;
    this.chatTemplate = chatTemplate;
    this.stopTokenIds = Set.copyOf(stopTokenIds);
    this.maxModelLen = maxModelLen;
    this.maxN = maxN;
  }

  static JsonNode parseBody(byte[] body) {
    if (body.length == 0)
      throw ApiException.invalid(null, "the request body is empty; expected a JSON object");
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw ApiException.invalid(
          null, "the request body is not valid JSON: " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw ApiException.invalid(null, "could not read the request body: " + e.getMessage());
    }
    if (root == null || !root.isObject())
      throw ApiException.invalid(null, "the request body must be a JSON object");
    return root;
  }

  GenerationJob completion(JsonNode body) {
    String model = checkModel(body);
    JsonNode prompt = body.get("prompt");
    int[] ids;
    if (prompt == null || prompt.isNull())
      throw ApiException.invalid("prompt", "'prompt' is required");
    if (prompt.isTextual()) {
      ids = tokenizer.encode(prompt.asText());
    } else if (prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
      ids = tokenizer.encode(prompt.get(0).asText());
    } else if (prompt.isArray() && prompt.size() > 0 && allIntegers(prompt)) {
      ids = new int[prompt.size()];
      for (int i = 0; i < ids.length; i++) ids[i] = prompt.get(i).asInt();
      for (int id : ids) {
        if (id < 0 || id >= tokenizer.vocabSize())
          throw ApiException.invalid(
              "prompt",
              "token id " + id + " is outside the vocabulary 0.." + (tokenizer.vocabSize() - 1));
      }
    } else {
      throw ApiException.invalid(
          "prompt",
          "'prompt' must be a string, a list with one string, or a non-empty list of token ids (batches of prompts are not supported; send one request per prompt)");
    }
    if (ids.length == 0) throw ApiException.invalid("prompt", "'prompt' is empty");
    refuse(body, "echo", n -> n.asBoolean(false), "echo is not supported");
    refuse(body, "best_of", n -> n.asInt(1) > 1, "best_of > 1 is not supported");
    refuse(body, "suffix", n -> !n.asText("").isEmpty(), "suffix is not supported");
    int maxTokens = maxTokens(body, "max_tokens", ids.length, COMPLETIONS_DEFAULT_MAX_TOKENS);
    boolean logprobs = false;
    int top = 0;
    JsonNode lp = body.get("logprobs");
    if (lp != null && !lp.isNull()) {
      top = intIn(body, "logprobs", 0, MAX_TOP_LOGPROBS, 0);
      logprobs = true;
    }
    return job(false, body, ids, maxTokens, logprobs, top, model);
  }

  GenerationJob chat(JsonNode body) {
    String model = checkModel(body);
    ChatTemplate template =
        chatTemplate.orElseThrow(
            () ->
                ApiException.invalid(
                    "messages",
                    "model '"
                        + modelName
                        + "' has no chat template (no chat_template in its tokenizer_config.json); use /v1/completions"));
    JsonNode messages = body.get("messages");
    if (messages == null || messages.isNull())
      throw ApiException.invalid("messages", "'messages' is required");
    if (!messages.isArray())
      throw ApiException.invalid(
          "messages", "'messages' must be an array of {role, content} objects");
    if (messages.isEmpty()) throw ApiException.invalid("messages", "'messages' must not be empty");
    List<Map<String, Object>> list = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++)
      list.add(message(messages.get(i), "messages[" + i + "]"));
    String text;
    try {
      synchronized (template) {
        text = template.render(list, true);
      }
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(
          "messages", "the chat template rejected these messages: " + e.getMessage());
    }
    int[] ids = tokenizer.encode(text);
    refuse(body, "tools", n -> n.isArray() && !n.isEmpty(), "tools are not supported");
    JsonNode maxCompletion = body.get("max_completion_tokens");
    String maxField =
        maxCompletion != null && !maxCompletion.isNull() ? "max_completion_tokens" : "max_tokens";
    int maxTokens = maxTokens(body, maxField, ids.length, -1);
    boolean logprobs = bool(body, "logprobs", false);
    int top = intIn(body, "top_logprobs", 0, MAX_TOP_LOGPROBS, 0);
    if (top > 0 && !logprobs)
      throw ApiException.invalid("top_logprobs", "top_logprobs needs logprobs: true");
    return job(true, body, ids, maxTokens, logprobs, top, model);
  }

  private GenerationJob job(
      boolean chat,
      JsonNode body,
      int[] ids,
      int maxTokens,
      boolean logprobs,
      int top,
      String model) {
    refuse(
        body,
        "presence_penalty",
        n -> n.asDouble(0) != 0,
        "presence_penalty is not supported (use 0)");
    refuse(
        body,
        "frequency_penalty",
        n -> n.asDouble(0) != 0,
        "frequency_penalty is not supported (use 0)");
    int n = intIn(body, "n", 1, maxN, 1);
    double temperature = number(body, "temperature", 0, 2, 1.0);
    double topP = number(body, "top_p", 0, 1, 1.0);
    if (topP == 0) throw ApiException.invalid("top_p", "'top_p' must be in (0, 1]");
    int topK = intIn(body, "top_k", 0, Integer.MAX_VALUE, 0);
    long seed =
        body.has("seed") && !body.get("seed").isNull()
            ? longValue(body, "seed")
            : ThreadLocalRandom.current().nextLong(1L << 52);
    boolean greedy = temperature == 0;
    // vLLM's extension: keep generating through end-of-sequence tokens (fixed-length benchmarks)
    Set<Integer> stopIds = bool(body, "ignore_eos", false) ? Set.of() : stopTokenIds;
    SamplingParams params =
        new SamplingParams(
            greedy ? 1.0 : temperature, topK, topP, greedy, maxTokens, stopIds, seed);
    boolean stream = bool(body, "stream", false);
    boolean includeUsage = false;
    JsonNode so = body.get("stream_options");
    if (so != null && !so.isNull()) {
      if (!so.isObject())
        throw ApiException.invalid("stream_options", "'stream_options' must be an object");
      if (!stream)
        throw ApiException.invalid(
            "stream_options", "stream_options is only allowed with stream: true");
      includeUsage = bool(so, "include_usage", false);
    }
    return new GenerationJob(
        chat,
        ids,
        n,
        params,
        stops(body),
        stream,
        includeUsage,
        logprobs,
        top,
        model,
        model.equals(modelName) ? null : model);
  }

  /** The model id the request names: the base's or one adapter's (404 otherwise). */
  private String checkModel(JsonNode body) {
    JsonNode m = body.get("model");
    if (m == null || m.isNull()) throw ApiException.invalid("model", "'model' is required");
    if (!m.isTextual()) throw ApiException.invalid("model", "'model' must be a string");
    String name = m.asText();
    if (!name.equals(modelName) && !adapterNames.contains(name)) {
      List<String> all = new ArrayList<>();
      all.add(modelName);
      all.addAll(adapterNames);
      throw new ApiException(
          404,
          "The model '"
              + name
              + "' does not exist; this server serves "
              + (all.size() == 1
                  ? "'" + modelName + "'"
                  : all.stream().map(x -> "'" + x + "'").toList().toString()),
          "invalid_request_error",
          "model",
          "model_not_found");
    }
    return name;
  }

  private int maxTokens(JsonNode body, String field, int promptLen, int defaultTokens) {
    int room = maxModelLen - promptLen;
    if (room < 1) {
      throw ApiException.invalid(
          field.equals("max_tokens") && defaultTokens > 0 ? "prompt" : "messages",
          "This model's maximum context length is "
              + maxModelLen
              + " tokens; the prompt alone has "
              + promptLen
              + " tokens, which leaves no room for a completion",
          "context_length_exceeded");
    }
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) return defaultTokens > 0 ? Math.min(defaultTokens, room) : room;
    int want = intIn(body, field, 1, Integer.MAX_VALUE, 1);
    if (want > room) {
      throw ApiException.invalid(
          field,
          "This model's maximum context length is "
              + maxModelLen
              + " tokens. However, you requested "
              + (promptLen + want)
              + " tokens ("
              + promptLen
              + " in the prompt, "
              + want
              + " in the completion). Reduce the prompt or "
              + field
              + ".",
          "context_length_exceeded");
    }
    return want;
  }

  private static Map<String, Object> message(JsonNode m, String where) {
    if (!m.isObject())
      throw ApiException.invalid(where, where + " must be an object with 'role' and 'content'");
    JsonNode role = m.get("role");
    if (role == null || !role.isTextual())
      throw ApiException.invalid(where + ".role", where + ".role must be a string");
    String r = role.asText();
    if (!Set.of("system", "developer", "user", "assistant", "tool").contains(r)) {
      throw ApiException.invalid(
          where + ".role",
          where + ".role must be one of system, developer, user, assistant, tool; got '" + r + "'");
    }
    JsonNode content = m.get("content");
    String text;
    if (content == null || content.isNull()) {
      text = "";
    } else if (content.isTextual()) {
      text = content.asText();
    } else if (content.isArray()) {
      StringBuilder sb = new StringBuilder();
      for (JsonNode part : content) {
        if (!part.isObject()
            || !"text".equals(part.path("type").asText())
            || !part.path("text").isTextual()) {
          throw ApiException.invalid(
              where + ".content",
              where
                  + ".content parts must be {\"type\": \"text\", \"text\": ...} (no images or audio)");
        }
        sb.append(part.get("text").asText());
      }
      text = sb.toString();
    } else {
      throw ApiException.invalid(
          where + ".content", where + ".content must be a string or a list of text parts");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("role", r.equals("developer") ? "system" : r);
    out.put("content", text);
    return out;
  }

  private static List<String> stops(JsonNode body) {
    JsonNode s = body.get("stop");
    if (s == null || s.isNull()) return List.of();
    List<String> out = new ArrayList<>();
    if (s.isTextual()) {
      out.add(s.asText());
    } else if (s.isArray()) {
      for (JsonNode x : s) {
        if (!x.isTextual())
          throw ApiException.invalid("stop", "'stop' must be a string or a list of strings");
        out.add(x.asText());
      }
    } else {
      throw ApiException.invalid("stop", "'stop' must be a string or a list of strings");
    }
    if (out.size() > MAX_STOPS)
      throw ApiException.invalid(
          "stop", "at most " + MAX_STOPS + " stop strings, got " + out.size());
    for (String x : out)
      if (x.isEmpty()) throw ApiException.invalid("stop", "stop strings must not be empty");
    return List.copyOf(out);
  }

  private interface Check {
    boolean bad(JsonNode n);
  }

  private static void refuse(JsonNode body, String field, Check check, String message) {
    JsonNode n = body.get(field);
    if (n != null && !n.isNull() && check.bad(n)) throw ApiException.invalid(field, message);
  }

  private static boolean allIntegers(JsonNode arr) {
    for (JsonNode x : arr) if (!x.isIntegralNumber()) return false;
    return true;
  }

  private static boolean bool(JsonNode body, String field, boolean dflt) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) return dflt;
    if (!n.isBoolean())
      throw ApiException.invalid(field, "'" + field + "' must be a boolean, got " + describe(n));
    return n.asBoolean();
  }

  private static int intIn(JsonNode body, String field, int min, int max, int dflt) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) return dflt;
    if (!n.isIntegralNumber() || !n.canConvertToInt())
      throw ApiException.invalid(field, "'" + field + "' must be an integer, got " + describe(n));
    int v = n.asInt();
    if (v < min || v > max) {
      throw ApiException.invalid(
          field,
          "'"
              + field
              + "' must be "
              + (max == Integer.MAX_VALUE ? ">= " + min : "in " + min + ".." + max)
              + ", got "
              + v);
    }
    return v;
  }

  private static long longValue(JsonNode body, String field) {
    JsonNode n = body.get(field);
    if (!n.isIntegralNumber() || !n.canConvertToLong())
      throw ApiException.invalid(field, "'" + field + "' must be an integer, got " + describe(n));
    return n.asLong();
  }

  private static double number(JsonNode body, String field, double min, double max, double dflt) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) return dflt;
    if (!n.isNumber())
      throw ApiException.invalid(field, "'" + field + "' must be a number, got " + describe(n));
    double v = n.asDouble();
    if (!(v >= min && v <= max))
      throw ApiException.invalid(
          field, "'" + field + "' must be in [" + min + ", " + max + "], got " + v);
    return v;
  }

  private static String describe(JsonNode n) {
    JsonNodeType t = n.getNodeType();
    String s = n.toString();
    return t.name().toLowerCase(java.util.Locale.ROOT)
        + " "
        + (s.length() > 40 ? s.substring(0, 40) + "..." : s);
  }
}
