package io.grpo4j.task;

import java.util.Map;
import java.util.Objects;

/**
 * One chat message of a prompt, as chat templates take them.
 *
 * @param role {@code system}, {@code user} or {@code assistant}
 * @param content the message text
 */
public record ChatMessage(String role, String content) {
  public ChatMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
  }

  /** The message as a chat template's {@code {role, content}} map. */
  public Map<String, Object> asMap() {
    return Map.of("role", role, "content", content);
  }
}
