package io.grpo4j.cli;

import io.grpo4j.run.Runs;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "sft",
    description = {
      "Supervised warm-start on freshly generated prompt -> reference-solution pairs.",
      "Starts from model.init, or from a newly initialised tiny preset when it is not set."
    })
final class SftCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(names = "--out", required = true, description = "Run folder (new or empty).")
  Path out;

  @Option(names = "--resume", description = "Continue the run in --out from its last checkpoint.")
  boolean resume;

  @Override
  public Integer call() throws Exception {
    Path last = resume ? config.resume(out) : Runs.sft(config.load(List.of()), out, System.out);
    System.out.println("final checkpoint: " + last);
    return 0;
  }
}
