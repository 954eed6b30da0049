package io.grpo4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class MainTest {
  @Test
  void helpListsCommands() {
    var cl = Main.commandLine();
    var out = new StringWriter();
    cl.setOut(new PrintWriter(out));
    int rc = cl.execute("--help");
    assertThat(rc).isZero();
    assertThat(out.toString()).contains("Usage: grpo4j").contains("help");
  }
}
