package io.grpo4j.task;

import java.util.Locale;

/**
 * How a problem is put to the model. {@link #PLAIN} is a short raw prompt for small models that
 * learn the answer format by SFT; {@link #CHAT} is instruction text for instruct models, which the
 * caller wraps as a user message and renders through the model's chat template.
 */
public enum PromptStyle {
  PLAIN,
  CHAT;

  /** Parses {@code plain} or {@code chat} (any case), as written in config files and flags. */
  public static PromptStyle parse(String text) {
    return Modes.parse(PromptStyle.class, "prompt style", text);
  }

  /** The lower-case name used in config files. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
