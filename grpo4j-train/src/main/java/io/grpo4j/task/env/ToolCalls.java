package io.grpo4j.task.env;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tool calls in a model turn, as Qwen2.5's chat template teaches them: each a JSON object
 * {@code {"name": ..., "arguments": {...}}} between {@code <tool_call>} and {@code </tool_call>}. A
 * block whose body is not such an object (not JSON, no string {@code name}) is skipped: the
 * environment still sees it in the turn's text.
 */
public final class ToolCalls {
  public static final String OPEN = "<tool_call>";
  public static final String CLOSE = "</tool_call>";
  private static final ObjectMapper JSON = new ObjectMapper();

  private ToolCalls() {}

  /**
   * The well-formed calls of {@code text} in order, each {@code {"name": ..., "arguments": ...}}
   * ({@code arguments} an empty object when missing); an empty list when there are none.
   */
  public static List<Map<String, Object>> parse(String text) {
    List<Map<String, Object>> out = new ArrayList<>();
    int from = 0;
    while (true) {
      int open = text.indexOf(OPEN, from);
      if (open < 0) break;
      int close = text.indexOf(CLOSE, open + OPEN.length());
      if (close < 0) break;
      String body = text.substring(open + OPEN.length(), close).strip();
      from = close + CLOSE.length();
      Map<String, Object> call;
      try {
        call = JSON.readValue(body, new TypeReference<LinkedHashMap<String, Object>>() {});
      } catch (JsonProcessingException | IllegalArgumentException e) {
        continue;
      }
      if (call == null || !(call.get("name") instanceof String name)) continue;
      Map<String, Object> clean = new LinkedHashMap<>();
      clean.put("name", name);
      Object args = call.get("arguments");
      clean.put("arguments", args == null ? Map.of() : args);
      out.add(clean);
    }
    return out;
  }
}
