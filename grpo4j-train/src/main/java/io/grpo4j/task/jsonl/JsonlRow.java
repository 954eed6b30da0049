package io.grpo4j.task.jsonl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.task.ChatMessage;
import java.util.List;

/**
 * One row of a JSONL dataset.
 *
 * @param where {@code file:line}, for messages
 * @param prompt the prompt after {@code task.prompt_template} (string rows), or null
 * @param messages the chat messages (chat rows), or null
 * @param answer the reference answer, any JSON value ({@code null} when the row has none)
 * @param completion the reference completion for SFT, or null
 * @param metadata every other field of the row, untouched
 */
public record JsonlRow(
    String where,
    String prompt,
    List<ChatMessage> messages,
    JsonNode answer,
    String completion,
    ObjectNode metadata) {
  public JsonlRow {
    if ((prompt == null) == (messages == null)) {
      throw new IllegalArgumentException(where + ": a row has a prompt string or messages");
    }
    messages = messages == null ? null : List.copyOf(messages);
  }
}
