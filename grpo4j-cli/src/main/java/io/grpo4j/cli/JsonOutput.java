package io.grpo4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.grpo4j.torch.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --json FILE}, shared by bench, doctor and eval: also write the results as indented JSON.
 */
final class JsonOutput {
  /** Indented JSON, as the commands write their result files (summary.json too). */
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Option(names = "--json", description = "Also write the results to this JSON file.")
  Path file;

  /** Writes {@code value} to the --json file (atomically) when one is given; false when not. */
  boolean write(Object value) throws IOException {
    if (file == null) return false;
    AtomicFiles.writeString(file, JSON.writeValueAsString(value) + "\n");
    return true;
  }
}
