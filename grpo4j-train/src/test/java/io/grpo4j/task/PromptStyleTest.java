package io.grpo4j.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PromptStyleTest {
  @Test
  void promptStyleParses() {
    assertThat(PromptStyle.parse(" Chat ")).isEqualTo(PromptStyle.CHAT);
    assertThatThrownBy(() -> PromptStyle.parse("raw")).hasMessageContaining("'plain' or 'chat'");
  }
}
