package io.grpo4j.cli;

import io.grpo4j.train.RunCheck;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Developer command behind scripts/crash-test.sh: audits a run folder (see {@link RunCheck}). */
@Command(
    name = "check-run",
    hidden = true,
    mixinStandardHelpOptions = true,
    description = "Audit a run folder: checkpoints verify and load, metrics hold every step once, samples and config intact.")
final class CheckRunCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "RUN_DIR")
  Path run;

  @Option(names = "--finished", description = "The run must have completed (no torn line, last step reached).")
  boolean finished;

  @Option(names = "--quiet", description = "Print only problems.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    RunCheck.Report r = RunCheck.audit(run, finished);
    if (!quiet) r.passed().forEach(p -> System.out.println("ok: " + p));
    r.problems().forEach(p -> System.out.println("PROBLEM: " + p));
    return r.ok() ? 0 : 1;
  }
}
