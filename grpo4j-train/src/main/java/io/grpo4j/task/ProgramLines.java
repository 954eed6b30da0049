package io.grpo4j.task;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * The line reader under the clients of user programs ({@code command} rewards and environments): a
 * program's stdout or stderr read line by line on a platform daemon thread. Not a virtual thread:
 * blocking pipe I/O on virtual threads can hold every carrier of a 2-core machine (the environment
 * client went silent for whole steps that way); a daemon never keeps the JVM alive.
 */
public final class ProgramLines {
  private ProgramLines() {}

  /**
   * Hands each line of {@code in} to {@code line} on a daemon thread named {@code name}, then runs
   * {@code atEnd} (if not null) at the end of the stream or when the process was killed (its stream
   * closed).
   */
  public static void read(String name, InputStream in, Consumer<String> line, Runnable atEnd) {
    Thread.ofPlatform()
        .daemon(true)
        .name(name)
        .start(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) line.accept(l);
              } catch (IOException e) {
                // stream closed by kill()
              }
              if (atEnd != null) atEnd.run();
            });
  }
}
