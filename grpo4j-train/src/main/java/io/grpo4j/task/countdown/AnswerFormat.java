package io.grpo4j.task.countdown;

/** How answers are written, chosen per run: step lines or a TinyZero-style expression. */
public enum AnswerFormat {
  /** One move per line, {@code 3+5=8}; partial answers earn partial credit. */
  STEPS,
  /** {@code <answer>(3+5)*7</answer>}, each number exactly once (TinyZero compatible). */
  EXPRESSION;

  /** Parses {@code steps} or {@code expression} (any case). */
  public static AnswerFormat parse(String text) {
    for (AnswerFormat f : values()) {
      if (f.name().equalsIgnoreCase(text == null ? "" : text.strip())) {
        return f;
      }
    }
    throw new IllegalArgumentException(
        "answer format must be 'steps' or 'expression', got '" + text + "'");
  }
}
