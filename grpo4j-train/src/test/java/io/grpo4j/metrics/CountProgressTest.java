package io.grpo4j.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CountProgressTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  private long now = 0;

  private String text() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void inALogEveryTenPercentIsOneWholeLineWithoutCarriageReturns() {
    CountProgress p = new CountProgress(out, "evaluated", "problems", 200, false, () -> now);
    for (int done = 1; done <= 200; done++) p.accept(done);
    p.finish();
    String log = text();
    assertThat(log).doesNotContain("\r");
    assertThat(log.lines().toList())
        .hasSize(10)
        .startsWith("  evaluated 20/200 problems (10%)")
        .endsWith("  evaluated 200/200 problems (100%)");
  }

  @Test
  void inALogSlowWorkPrintsALineEveryTenSeconds() {
    CountProgress p = new CountProgress(out, "evaluated", "problems", 1000, false, () -> now);
    p.accept(1);
    now += 9_000_000_000L;
    p.accept(2);
    assertThat(text()).isEmpty();
    now += 1_000_000_000L;
    p.accept(3);
    assertThat(text()).isEqualTo("  evaluated 3/1000 problems (0%)" + System.lineSeparator());
  }

  @Test
  void onATerminalOneLineIsRewrittenAndEndedOnce() {
    CountProgress p = new CountProgress(out, "evaluated", "problems", 3, true, () -> now);
    for (int done = 1; done <= 3; done++) p.accept(done);
    p.finish();
    assertThat(text())
        .isEqualTo(
            "\r  evaluated 1/3 problems\r  evaluated 2/3 problems\r  evaluated 3/3 problems"
                + System.lineSeparator());
  }
}
