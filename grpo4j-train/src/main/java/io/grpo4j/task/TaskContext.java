package io.grpo4j.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What a {@link TaskProvider} gets to build its task from.
 *
 * @param config the run's resolved config as a JSON tree, keys in snake_case ({@code task.name},
 *     {@code task.options.*}, {@code data.train_file}, {@code reward.sources}, ...)
 * @param workDir the directory relative file names and reward programs start from
 */
public record TaskContext(JsonNode config, Path workDir) {
  public TaskContext {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(workDir, "workDir");
  }

  /** The node at a dotted key ({@code task.options.level}), or a missing node. */
  public JsonNode at(String dottedKey) {
    JsonNode node = config;
    for (String part : dottedKey.split("\\.")) {
      node = node == null ? null : node.get(part);
      if (node == null) return MissingNode.getInstance();
    }
    return node;
  }

  /** A text value at a dotted key; {@code fallback} when missing or null. */
  public String text(String dottedKey, String fallback) {
    JsonNode n = at(dottedKey);
    return n.isMissingNode() || n.isNull() ? fallback : n.asText();
  }

  /** A file name from the config, resolved against {@link #workDir}; null when unset or empty. */
  public Path file(String dottedKey) {
    String name = text(dottedKey, "");
    return name.isEmpty() ? null : workDir.resolve(name);
  }
}
