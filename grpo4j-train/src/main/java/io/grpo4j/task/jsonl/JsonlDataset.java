package io.grpo4j.task.jsonl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.task.ChatMessage;
import io.grpo4j.task.Problem;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Reads a JSONL dataset (plain or gzip-compressed, recognised by its first bytes): one JSON object
 * per non-blank line, with the fields named by {@link JsonlSettings}. Errors name the file, line
 * and field. A row's problem id is its {@code id} field (string or integer) when it has one, else
 * {@code row-} and the first 12 hex digits of the SHA-256 of the line, so ids are stable across
 * runs and files.
 */
public final class JsonlDataset {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)\\}");

  private JsonlDataset() {}

  /** Every row of a file as a problem. */
  public static List<Problem<JsonlRow>> read(Path file, JsonlSettings settings) throws IOException {
    List<Problem<JsonlRow>> out = new ArrayList<>();
    try (BufferedReader reader = open(file)) {
      int lineNo = 0;
      for (String line; ; ) {
        try {
          line = reader.readLine();
        } catch (CharacterCodingException e) {
          throw new IllegalArgumentException(
              file + ":" + (lineNo + 1) + ": not valid UTF-8 text (" + e + ")");
        }
        if (line == null) break;
        lineNo++;
        if (!line.isBlank()) out.add(parse(line, file + ":" + lineNo, settings));
      }
    }
    if (out.isEmpty()) throw new IllegalArgumentException(file + ": the dataset has no rows");
    return out;
  }

  private static BufferedReader open(Path file) throws IOException {
    InputStream in = new BufferedInputStream(Files.newInputStream(file));
    in.mark(2);
    int b0 = in.read();
    int b1 = in.read();
    in.reset();
    if (b0 == 0x1f && b1 == 0x8b) in = new GZIPInputStream(in);
    return new BufferedReader(
        new InputStreamReader(
            in,
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)));
  }

  /** Parses one line; {@code where} ({@code file:line}) starts every error message. */
  public static Problem<JsonlRow> parse(String line, String where, JsonlSettings settings) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          where + ": not valid JSON: " + firstLine(e.getOriginalMessage()));
    }
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException(where + ": expected a JSON object");
    }
    ObjectNode row = (ObjectNode) node;
    JsonNode p = row.get(settings.promptField());
    String prompt = null;
    List<ChatMessage> messages = null;
    if (p == null || p.isNull()) {
      throw new IllegalArgumentException(
          where + ": field '" + settings.promptField() + "' (task.prompt_field) is missing");
    } else if (p.isTextual()) {
      prompt = applyTemplate(settings.promptTemplate(), p.textValue(), row, where);
    } else if (p.isArray()) {
      messages = messages(p, where + ": field '" + settings.promptField() + "'");
    } else {
      throw new IllegalArgumentException(
          where
              + ": field '"
              + settings.promptField()
              + "' must be a string or a list of {role, content} messages, got "
              + p.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
    }
    JsonNode answer = row.get(settings.answerField());
    JsonNode c = row.get(settings.completionField());
    if (c != null && !c.isNull() && !c.isTextual()) {
      throw new IllegalArgumentException(
          where
              + ": field '"
              + settings.completionField()
              + "' (task.completion_field) must be a string");
    }
    ObjectNode metadata = row.deepCopy();
    metadata.remove(
        List.of(settings.promptField(), settings.answerField(), settings.completionField()));
    String id = id(row.get("id"), line, where);
    return new Problem<>(
        id,
        new JsonlRow(
            where,
            prompt,
            messages,
            answer == null ? JSON.nullNode() : answer,
            c == null || c.isNull() ? null : c.textValue(),
            metadata));
  }

  private static List<ChatMessage> messages(JsonNode array, String what) {
    if (array.isEmpty()) throw new IllegalArgumentException(what + " has no messages");
    List<ChatMessage> out = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      JsonNode m = array.get(i);
      JsonNode role = m.get("role");
      JsonNode content = m.get("content");
      if (!m.isObject()
          || role == null
          || !role.isTextual()
          || content == null
          || !content.isTextual()) {
        throw new IllegalArgumentException(
            what + "[" + i + "] must be an object {\"role\": string, \"content\": string}");
      }
      String r = role.textValue();
      if (!r.equals("system") && !r.equals("user") && !r.equals("assistant")) {
        throw new IllegalArgumentException(
            what + "[" + i + "].role must be system, user or assistant, got '" + r + "'");
      }
      out.add(new ChatMessage(r, content.textValue()));
    }
    if (!out.get(out.size() - 1).role().equals("user")) {
      throw new IllegalArgumentException(
          what + ": the last message must be the user's (the model answers it)");
    }
    return out;
  }

  /** Replaces {@code {prompt}} and {@code {field}} placeholders; other braces stay as they are. */
  static String applyTemplate(String template, String prompt, ObjectNode row, String where) {
    Matcher m = PLACEHOLDER.matcher(template);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String name = m.group(1);
      String value;
      if (name.equals("prompt")) {
        value = prompt;
      } else {
        JsonNode f = row.get(name);
        if (f == null || f.isNull() || f.isContainerNode()) {
          throw new IllegalArgumentException(
              where
                  + ": task.prompt_template uses {"
                  + name
                  + "} but field '"
                  + name
                  + "' is missing or not a string/number");
        }
        value = f.asText();
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(value));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  private static String id(JsonNode id, String line, String where) {
    if (id != null && !id.isNull()) {
      if ((id.isTextual() && !id.textValue().isBlank()) || id.isIntegralNumber())
        return id.asText();
      throw new IllegalArgumentException(
          where + ": field 'id' must be a non-empty string or an integer");
    }
    try {
      byte[] h =
          MessageDigest.getInstance("SHA-256")
              .digest(line.strip().getBytes(StandardCharsets.UTF_8));
      return "row-" + HexFormat.of().formatHex(h, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String firstLine(String s) {
    if (s == null) return "invalid JSON";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
