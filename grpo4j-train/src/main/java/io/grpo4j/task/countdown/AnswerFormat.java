package io.grpo4j.task.countdown;

import io.grpo4j.task.Modes;

/** How answers are written, chosen per run: step lines or a TinyZero-style expression. */
public enum AnswerFormat {
  /** One move per line, {@code 3+5=8}; partial answers earn partial credit. */
  STEPS,
  /** {@code <answer>(3+5)*7</answer>}, each number exactly once (TinyZero compatible). */
  EXPRESSION;

  /** Parses {@code steps} or {@code expression} (any case). */
  public static AnswerFormat parse(String text) {
    return Modes.parse(AnswerFormat.class, "answer format", text);
  }
}
