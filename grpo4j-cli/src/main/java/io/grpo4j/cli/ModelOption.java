package io.grpo4j.cli;

import io.grpo4j.model.ModelFolder;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --model DIR}, shared by the commands that load one model folder (generate, eval,
 * eval-int8, export, serve).
 */
final class ModelOption {
  @Option(
      names = "--model",
      required = true,
      paramLabel = "<model>",
      description = "Hugging Face model folder (a run's checkpoint folder is one).")
  Path dir;

  ModelFolder open() throws IOException {
    return ModelFolder.open(dir);
  }

  @Override
  public String toString() {
    return dir.toString();
  }
}
