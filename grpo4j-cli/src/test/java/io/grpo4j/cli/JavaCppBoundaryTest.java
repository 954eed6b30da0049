package io.grpo4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The house rule of docs/DESIGN: JavaCPP types (org.bytedeco.*) stay inside torch, model, generate,
 * rl and train (and dist, run, bench, audit, which drive them), so native memory and scopes are
 * handled in a few places and the cli, serve, eval, fuzz, task, config and metrics code stays plain
 * Java. Scans the sources of every module (Maven runs tests from the repository root).
 */
class JavaCppBoundaryTest {

  @Test
  void plainJavaRoomsNeverMentionJavaCpp() {
    for (String pkg : List.of("cli", "serve", "eval", "task", "fuzz", "config", "metrics")) {
      List<Path> files = javaFiles(pkg);
      assertThat(files).as("java sources of package %s", pkg).isNotEmpty();
      assertThat(filesMentioningJavaCpp(files))
          .as("files of package %s that mention org.bytedeco", pkg)
          .isEmpty();
    }
  }

  /** The scan itself must see JavaCPP where it is allowed, or the check above proves nothing. */
  @Test
  void scanFindsJavaCppInTheTorchPackage() {
    assertThat(filesMentioningJavaCpp(javaFiles("torch"))).isNotEmpty();
  }

  /**
   * The java files of package {@code io.grpo4j.<pkg>} (and its subpackages), in whichever module.
   */
  static List<Path> javaFiles(String pkg) {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> modules = Files.list(Path.of(""))) {
      for (Path m :
          modules.filter(p -> p.getFileName().toString().startsWith("grpo4j-")).toList()) {
        Path dir = m.resolve("src/main/java/io/grpo4j").resolve(pkg);
        if (!Files.isDirectory(dir)) continue;
        try (Stream<Path> s = Files.walk(dir)) {
          s.filter(p -> p.toString().endsWith(".java")).forEach(out::add);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.stream().sorted().toList();
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
