package io.grpo4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The house rule of docs/DESIGN: JavaCPP types (org.bytedeco.*) stay inside torch, model, generate,
 * rl and train, so native memory and scopes are handled in a few places and the cli, serve, eval,
 * fuzz and task code stays plain Java. Scans the sources (Maven runs tests from the project root).
 */
class JavaCppBoundaryTest {
  private static final Path SOURCES = Path.of("src/main/java/io/grpo4j");

  @Test
  void cliServeEvalAndTaskNeverMentionJavaCpp() {
    for (String pkg : List.of("cli", "serve", "eval", "task", "fuzz")) {
      List<Path> files = javaFiles(SOURCES.resolve(pkg));
      assertThat(files).as("java sources of package %s", pkg).isNotEmpty();
      assertThat(filesMentioningJavaCpp(files))
          .as("files of package %s that mention org.bytedeco", pkg)
          .isEmpty();
    }
  }

  /** The scan itself must see JavaCPP where it is allowed, or the check above proves nothing. */
  @Test
  void scanFindsJavaCppInTheTorchPackage() {
    assertThat(filesMentioningJavaCpp(javaFiles(SOURCES.resolve("torch")))).isNotEmpty();
  }

  private static List<Path> javaFiles(Path dir) {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<Path> filesMentioningJavaCpp(List<Path> files) {
    return files.stream()
        .filter(
            f -> {
              try {
                return Files.readString(f).contains("org.bytedeco");
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            })
        .toList();
  }
}
