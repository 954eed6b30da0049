package io.grpo4j.torch;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A checkpoint file or folder that is malformed, inconsistent or uses something grpo4j does not
 * support. It is an {@link IOException} because it arises from reading files the user handed us,
 * and its message always names the file, the tensor (when one is involved) and what is wrong, so
 * that a bad download or a foreign writer can be diagnosed from the message alone.
 */
public class CheckpointFormatException extends IOException {
  /**
   * @param file the file (or checkpoint folder) at fault
   * @param tensor the tensor at fault, or null when the problem is not about one tensor
   * @param problem what is wrong, phrased so that it reads after "file: tensor 'x': "
   */
  public CheckpointFormatException(Path file, String tensor, String problem) {
    this(file, tensor, problem, null);
  }

  public CheckpointFormatException(Path file, String tensor, String problem, Throwable cause) {
    super(message(file, tensor, problem), cause);
  }

  private static String message(Path file, String tensor, String problem) {
    String where = String.valueOf(file);
    return tensor == null
        ? where + ": " + problem
        : where + ": tensor '" + tensor + "': " + problem;
  }
}
