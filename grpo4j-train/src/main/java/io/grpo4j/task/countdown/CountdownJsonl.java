package io.grpo4j.task.countdown;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.task.Problem;
import io.grpo4j.task.ScoredCompletions;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The Countdown JSONL schema, one instance per line: {@code
 * {"id":"cd-...","numbers":[3,5,7],"target":56,"max_steps":6,"solution":["3+5=8","8*7=56"]}}.
 * Reading is strict about types and names the file, line and field of any problem; {@code id}
 * (default: derived from the content), {@code max_steps} (default 6) and {@code solution} (default:
 * unknown) may be left out. A {@code solution} may also be a single string of lines.
 */
public final class CountdownJsonl {
  /** Step budget assumed when a line has no {@code max_steps}. */
  public static final int DEFAULT_MAX_STEPS = 6;

  private static final ObjectMapper JSON = new ObjectMapper();

  private CountdownJsonl() {}

  /** An instance read from a line, with the id the line gave (or the derived one). */
  public record Entry(String id, CountdownInstance instance, JsonNode line) {}

  /** Reads every non-blank line of a file. */
  public static List<Entry> read(Path file) throws IOException {
    List<Entry> out = new ArrayList<>();
    byte[] bytes = Files.readAllBytes(file);
    CharsetDecoder utf8 =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    int lineNo = 0;
    for (int start = 0; start < bytes.length; ) {
      int end = start;
      while (end < bytes.length && bytes[end] != '\n') end++;
      lineNo++;
      String text;
      try {
        text = utf8.decode(ByteBuffer.wrap(bytes, start, end - start)).toString();
      } catch (CharacterCodingException e) {
        throw new IllegalArgumentException(
            file + ":" + lineNo + ": not valid UTF-8 text (" + e + ")");
      }
      start = end + 1;
      if (!text.isBlank()) out.add(parse(text, file + ":" + lineNo));
    }
    return out;
  }

  /**
   * Reads a file of completions to score ({@code grpo4j score}): every non-blank line an instance
   * in this schema plus the text to score in field {@code completion}.
   *
   * @throws IOException naming the file if it does not exist
   * @throws IllegalArgumentException naming the file, line and field, if a line is malformed
   */
  public static List<ScoredCompletions.Line<CountdownInstance>> completions(Path input)
      throws IOException {
    if (!Files.isRegularFile(input)) {
      throw new IOException("no such file: " + input);
    }
    List<ScoredCompletions.Line<CountdownInstance>> out = new ArrayList<>();
    try (BufferedReader reader = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
      String text;
      int lineNo = 0;
      while ((text = reader.readLine()) != null) {
        lineNo++;
        if (text.isBlank()) {
          continue;
        }
        String where = input + ":" + lineNo;
        Entry entry = parse(text, where);
        String completion = ScoredCompletions.completion(entry.line(), "completion", where);
        out.add(
            new ScoredCompletions.Line<>(
                new Problem<>(entry.id(), entry.instance()),
                ((ObjectNode) entry.line()).deepCopy(),
                completion));
      }
    }
    return out;
  }

  /**
   * Parses one JSON line; {@code where} (file:line) prefixes every error message. The raw JSON
   * object is returned too, so callers can read their own extra fields.
   */
  public static Entry parse(String text, String where) {
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (IOException e) {
      throw new IllegalArgumentException(where + ": not valid JSON: " + firstLine(e.getMessage()));
    }
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException(where + ": expected a JSON object");
    }
    JsonNode numbersNode = node.get("numbers");
    if (numbersNode == null || !numbersNode.isArray()) {
      throw new IllegalArgumentException(
          where + ": field 'numbers' must be an array of whole numbers");
    }
    List<Long> numbers = new ArrayList<>();
    for (JsonNode n : numbersNode) {
      numbers.add(wholeNumber(n, where, "numbers"));
    }
    long target = wholeNumber(required(node, "target", where), where, "target");
    int maxSteps = DEFAULT_MAX_STEPS;
    if (node.hasNonNull("max_steps")) {
      long m = wholeNumber(node.get("max_steps"), where, "max_steps");
      if (m < 1 || m > CountdownInstance.MAX_STEPS) {
        throw new IllegalArgumentException(
            where
                + ": field 'max_steps' must be in 1.."
                + CountdownInstance.MAX_STEPS
                + ", got "
                + m);
      }
      maxSteps = (int) m;
    }
    List<Step> solution =
        node.hasNonNull("solution") ? solution(node.get("solution"), where) : List.of();
    CountdownInstance inst;
    try {
      inst = new CountdownInstance(numbers, target, maxSteps, solution);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage());
    }
    String id = inst.id();
    if (node.has("id")) {
      JsonNode idNode = node.get("id");
      if (!idNode.isTextual() || idNode.asText().isBlank()) {
        throw new IllegalArgumentException(where + ": field 'id' must be a non-empty string");
      }
      id = idNode.asText();
    }
    return new Entry(id, inst, node);
  }

  private static List<Step> solution(JsonNode node, String where) {
    List<String> lines = new ArrayList<>();
    if (node.isTextual()) {
      for (String line : node.asText().split("\n")) {
        if (!line.isBlank()) {
          lines.add(line);
        }
      }
    } else if (node.isArray()) {
      for (JsonNode line : node) {
        if (!line.isTextual()) {
          throw new IllegalArgumentException(
              where + ": field 'solution' must hold step strings like \"3+5=8\"");
        }
        lines.add(line.asText());
      }
    } else {
      throw new IllegalArgumentException(
          where + ": field 'solution' must be an array of step strings");
    }
    List<Step> steps = new ArrayList<>();
    for (String line : lines) {
      steps.add(parseStep(line, where));
    }
    return steps;
  }

  /**
   * Parses one step line like {@code 3+5=8} (spaces and symbol variants as the verifier accepts).
   */
  static Step parseStep(String line, String where) {
    String s = line.strip();
    int eq = s.indexOf('=');
    if (eq > 0) {
      String lhs = s.substring(0, eq).strip();
      // the operator is the first symbol after the first operand's digits (skip a leading sign)
      int i = lhs.startsWith("-") ? 1 : 0;
      while (i < lhs.length() && Character.isDigit(lhs.charAt(i))) {
        i++;
      }
      int opAt = i;
      while (opAt < lhs.length() && lhs.charAt(opAt) == ' ') {
        opAt++;
      }
      if (opAt < lhs.length() && Op.ofSymbol(lhs.charAt(opAt)) != null) {
        try {
          long left = Long.parseLong(lhs.substring(0, i).strip());
          long right = Long.parseLong(lhs.substring(opAt + 1).strip());
          long result = Long.parseLong(s.substring(eq + 1).strip());
          return new Step(left, Op.ofSymbol(lhs.charAt(opAt)), right, result);
        } catch (IllegalArgumentException e) {
          // NumberFormatException or a wrong result: reported below
        }
      }
    }
    throw new IllegalArgumentException(
        where + ": solution line '" + line + "' is not a correct step 'a op b = c'");
  }

  /** One line of a data file in the documented schema. */
  public static String format(String id, CountdownInstance inst) {
    ObjectNode o = JSON.createObjectNode();
    o.put("id", id);
    ArrayNode numbers = o.putArray("numbers");
    inst.numbers().forEach(numbers::add);
    o.put("target", inst.target());
    o.put("max_steps", inst.maxSteps());
    ArrayNode solution = o.putArray("solution");
    inst.solution().forEach(s -> solution.add(s.toString()));
    return o.toString();
  }

  private static JsonNode required(JsonNode node, String field, String where) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException(where + ": field '" + field + "' is missing");
    }
    return v;
  }

  private static long wholeNumber(JsonNode n, String where, String field) {
    if (n == null || !n.isIntegralNumber() || !n.canConvertToLong()) {
      throw new IllegalArgumentException(
          where
              + ": field '"
              + field
              + "' must hold whole numbers, got "
              + (n == null ? "nothing" : n));
    }
    return n.asLong();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
