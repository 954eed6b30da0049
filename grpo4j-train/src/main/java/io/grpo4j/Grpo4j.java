package io.grpo4j;

import io.grpo4j.config.RunConfig;
import io.grpo4j.run.Runs;
import io.grpo4j.task.Task;
import io.grpo4j.torch.NativeLoader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Java entry point for programs that embed grpo4j: the same runs as the {@code grpo4j sft},
 * {@code train} and {@code train --resume} commands, with a {@link Task} object of your own (or the
 * one the config names).
 *
 * <pre>{@code
 * RunConfig config = Grpo4j.config(Path.of("my.yaml"), List.of("train.steps=50"));
 * Path sft = Grpo4j.sft(config, myTask, Path.of("runs/my-sft"));
 * Path last = Grpo4j.train(Grpo4j.withInit(config, sft), myTask, Path.of("runs/my-grpo"));
 * }</pre>
 *
 * <p>A run writes its folder exactly as the command line does ({@code config.yaml}, {@code
 * metrics.jsonl}, {@code samples.jsonl}, {@code checkpoints/step-N/}). Progress lines go to the
 * {@code io.grpo4j.Grpo4j} logger at INFO: grpo4j logs through {@code slf4j-api} only and brings no
 * binding, so they appear wherever your application's slf4j binding sends them. The task you pass
 * is not closed (you own it); a task built from the config is closed when the run ends.
 *
 * <p>libtorch runs in this process: start the JVM with {@code -Dorg.bytedeco.javacpp.maxBytes=0}
 * and the environment variable {@code OMP_WAIT_POLICY=PASSIVE} (see README). grpo4j loads only the
 * libtorch of its natives jar, whatever else the machine holds ({@link NativeLoader}); this class
 * sets JavaCPP's Loader properties when it is first used, so call it before your own code touches a
 * JavaCPP class. A JVM that already holds another libtorch fails with a {@link
 * io.grpo4j.torch.ForeignLibtorchException} naming it.
 */
public final class Grpo4j {
  private static final Logger LOG = LoggerFactory.getLogger(Grpo4j.class);

  static {
    NativeLoader.configure();
  }

  private Grpo4j() {}

  /**
   * A run config: the built-in defaults, overlaid with a YAML file (null for none) and {@code
   * key=value} overrides, checked as the command line checks them.
   *
   * @throws IllegalArgumentException naming the key, for an unknown key or a bad value
   */
  public static RunConfig config(Path yaml, List<String> overrides) throws IOException {
    return Runs.config(yaml, overrides);
  }

  /** The same config starting from another model folder ({@code model.init}). */
  public static RunConfig withInit(RunConfig config, Path modelDir) {
    return Runs.withInit(config, modelDir.toString());
  }

  /**
   * Supervised warm-start on the task's reference completions into a new run folder.
   *
   * @param task your task, or null for the one {@code task.name} names
   * @return the final checkpoint folder (an HF model folder)
   */
  public static Path sft(RunConfig config, Task<?> task, Path runDir) throws IOException {
    try (PrintStream progress = progress()) {
      return Runs.sft(config, runDir, task, progress);
    }
  }

  /**
   * GRPO from {@code model.init} into a new run folder.
   *
   * @param task your task, or null for the one {@code task.name} names
   * @return the final checkpoint folder (an HF model folder)
   */
  public static Path train(RunConfig config, Task<?> task, Path runDir) throws IOException {
    try (PrintStream progress = progress()) {
      return Runs.grpo(config, runDir, task, progress);
    }
  }

  /**
   * Continues a stopped run from its newest complete checkpoint, with the config saved in it.
   *
   * @param task the same task the run was started with, or null for the one its config names
   */
  public static Path resume(Path runDir, Task<?> task) throws IOException {
    try (PrintStream progress = progress()) {
      return Runs.resume(runDir, task, progress);
    }
  }

  /** A stream whose lines become INFO log messages. */
  private static PrintStream progress() {
    OutputStream lines =
        new OutputStream() {
          private final ByteArrayOutputStream line = new ByteArrayOutputStream();

          @Override
          public void write(int b) {
            if (b == '\n') {
              flushLine();
            } else {
              line.write(b);
            }
          }

          @Override
          public void close() {
            flushLine();
          }

          private void flushLine() {
            if (line.size() > 0) LOG.info(line.toString(StandardCharsets.UTF_8));
            line.reset();
          }
        };
    return new PrintStream(lines, true, StandardCharsets.UTF_8);
  }
}
