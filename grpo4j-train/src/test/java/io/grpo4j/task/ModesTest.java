package io.grpo4j.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpo4j.task.countdown.AnswerFormat;
import org.junit.jupiter.api.Test;

class ModesTest {
  enum Three {
    ONE,
    TWO,
    THREE
  }

  @Test
  void anyCaseAndBlanks() {
    assertThat(Modes.parse(Three.class, "x", " tWo ")).isEqualTo(Three.TWO);
    assertThat(PromptStyle.parse("CHAT")).isEqualTo(PromptStyle.CHAT);
    assertThat(AnswerFormat.parse("expression")).isEqualTo(AnswerFormat.EXPRESSION);
  }

  @Test
  void theMessageNamesTheSettingAndEveryChoice() {
    assertThatThrownBy(() -> Modes.parse(Three.class, "count", "four"))
        .hasMessage("count must be 'one', 'two' or 'three', got 'four'");
    assertThatThrownBy(() -> PromptStyle.parse(null))
        .hasMessage("prompt style must be 'plain' or 'chat', got 'null'");
    assertThatThrownBy(() -> AnswerFormat.parse("step"))
        .hasMessage("answer format must be 'steps' or 'expression', got 'step'");
  }
}
