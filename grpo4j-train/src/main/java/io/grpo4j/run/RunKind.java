package io.grpo4j.run;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpo4j.torch.AtomicFiles;
import io.grpo4j.train.Checkpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code <run>/run.json}: which trainer ({@code grpo} or {@code sft}) a run folder belongs to,
 * written when the folder is created. Checkpoints record their kind too, but a run killed before
 * its first checkpoint has none, and {@code --resume} must still know what to start again.
 */
public final class RunKind {
  static final String FILE = "run.json";

  private RunKind() {}

  static void write(Path runDir, String kind) throws IOException {
    AtomicFiles.writeString(runDir.resolve(FILE), "{\"kind\": \"" + kind + "\"}\n");
  }

  /** The kind recorded in the folder, if the file is there and readable. */
  public static Optional<String> read(Path runDir) throws IOException {
    Path f = runDir.resolve(FILE);
    if (!Files.isRegularFile(f)) return Optional.empty();
    JsonNode n;
    try {
      n = Checkpoints.JSON.readTree(Files.readAllBytes(f));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IOException(f + ": invalid JSON: " + e.getOriginalMessage(), e);
    }
    String kind = n.path("kind").asText("");
    return kind.isEmpty() ? Optional.empty() : Optional.of(kind);
  }
}
