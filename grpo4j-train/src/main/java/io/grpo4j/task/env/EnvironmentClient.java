package io.grpo4j.task.env;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The trainer's side of an environment: requests go out at once and replies come back when they
 * come, so that rollouts keep decoding the other episodes meanwhile. A program ({@link
 * CommandEnvironment}) and a Java plug-in ({@link JavaEnvironment}) both look like this.
 */
public interface EnvironmentClient extends AutoCloseable {

  /**
   * Sends one request; never blocks on the environment. The future always completes normally: a
   * timeout, crash or malformed answer completes it with an {@link EnvReply#failure}.
   */
  CompletableFuture<EnvReply> step(EnvRequest request);

  /** What the environment said about itself last (a program's last stderr lines), for errors. */
  default List<String> diagnostics() {
    return List.of();
  }

  /** Stops the environment; requests still in flight fail. */
  @Override
  void close();
}
