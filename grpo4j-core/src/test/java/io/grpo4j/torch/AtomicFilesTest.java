package io.grpo4j.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  private long entries() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }

  @Test
  void writesCreatesParentsAndReplaces() throws Exception {
    Path target = dir.resolve("a/b/state.json");
    AtomicFiles.writeString(target, "first ✓");
    assertThat(Files.readString(target)).isEqualTo("first ✓");
    AtomicFiles.write(
        target,
        out -> {
          for (int i = 0; i < 100_000; i++) out.write('x');
        });
    assertThat(Files.size(target)).isEqualTo(100_000);
    try (Stream<Path> s = Files.list(target.getParent())) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("state.json");
    }
  }

  @Test
  void aFailingBodyLeavesTheOldContentAndNoTemporaryFile() throws Exception {
    Path target = dir.resolve("metrics.json");
    AtomicFiles.writeString(target, "old");
    assertThatThrownBy(
            () ->
                AtomicFiles.write(
                    target,
                    out -> {
                      out.write("half of the new".getBytes());
                      throw new IOException("disk on fire");
                    }))
        .hasMessage("disk on fire");
    assertThat(Files.readString(target)).isEqualTo("old");
    assertThat(entries()).isEqualTo(1);
  }

  @Test
  void aBodyThatClosesTheStreamIsHarmless() throws Exception {
    Path target = dir.resolve("c.txt");
    AtomicFiles.write(
        target,
        out -> {
          out.write('z');
          out.close();
        });
    assertThat(Files.readString(target)).isEqualTo("z");
  }

  @Test
  void writesBytesThroughAChannel() throws Exception {
    Path target = dir.resolve("raw.bin");
    AtomicFiles.writeChannel(
        target, ch -> ch.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3})));
    assertThat(Files.readAllBytes(target)).containsExactly(1, 2, 3);
    assertThat(entries()).isEqualTo(1);
  }
}
