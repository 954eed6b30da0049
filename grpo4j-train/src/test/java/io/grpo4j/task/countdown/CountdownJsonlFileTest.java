package io.grpo4j.task.countdown;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Errors from reading a dataset file name the file, the line and the field. */
class CountdownJsonlFileTest {
  @TempDir Path dir;

  @Test
  void aBadFieldOnTheThirdLineNamesFileLineAndField() throws Exception {
    Path f = dir.resolve("train.jsonl");
    Files.writeString(
        f, "{\"numbers\":[3,5,7],\"target\":56}\n\n{\"numbers\":[3,5],\"target\":\"eight\"}\n");
    assertThatThrownBy(() -> CountdownJsonl.read(f))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(f + ":3: field 'target' must hold whole numbers");
  }

  @Test
  void invalidUtf8NamesFileAndLine() throws Exception {
    Path f = dir.resolve("bad.jsonl");
    byte[] good =
        "{\"numbers\":[3,5,7],\"target\":56}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] bad = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'};
    Files.write(f, good);
    Files.write(f, bad, java.nio.file.StandardOpenOption.APPEND);
    assertThatThrownBy(() -> CountdownJsonl.read(f))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(f + ":2: not valid UTF-8");
  }
}
