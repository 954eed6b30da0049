package io.grpo4j.fuzz;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One parser under fuzz and its contract: fed any bytes (written to {@code fileName} in a scratch
 * folder), it either accepts them or throws one of its {@code documented} exception types with a
 * message that names the file. Anything else (another exception type, an empty message, a message
 * that does not say which file, an {@link Error} such as a stack overflow) breaks the contract.
 */
record FuzzTarget(
    String name,
    String fileName,
    List<byte[]> seeds,
    List<byte[]> tokens,
    List<Class<? extends Exception>> documented,
    Body body) {

  /** Parses the file; throws whatever the parser throws. */
  interface Body {
    void parse(Path file) throws Exception;
  }

  enum Result {
    ACCEPTED,
    REJECTED
  }

  /** The contract was broken by one input. */
  static final class Violation extends Exception {
    Violation(String message, Throwable cause) {
      super(message, cause);
    }
  }

  Result run(byte[] input, Path scratch) throws Violation {
    Path file = scratch.resolve(fileName);
    try {
      Files.write(file, input);
    } catch (Exception e) {
      throw new IllegalStateException("cannot write the fuzz input to " + file, e);
    }
    try {
      body.parse(file);
      return Result.ACCEPTED;
    } catch (
        Throwable t) { // deliberately everything, Errors included: that is what is being tested
      boolean documentedType = documented.stream().anyMatch(c -> c.isInstance(t));
      String msg = t.getMessage();
      if (!documentedType)
        throw new Violation(name + ": undocumented " + t.getClass().getName() + ": " + msg, t);
      if (msg == null || msg.isBlank())
        throw new Violation(name + ": " + t.getClass().getName() + " without a message", t);
      if (!msg.contains(file.toString()))
        throw new Violation(name + ": message does not name the file: " + msg, t);
      return Result.REJECTED;
    }
  }
}
