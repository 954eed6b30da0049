package io.grpo4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code grpo4j} launcher: one picocli sub-command per job. */
@Command(
    name = "grpo4j",
    mixinStandardHelpOptions = true,
    version = "grpo4j 0.1.0",
    scope = CommandLine.ScopeType.INHERIT, // every sub-command gets -h/--help and -V/--version
    description =
        "Critic-free RL post-training (GRPO with token-level relative advantages) for language models.",
    subcommands = {
      CommandLine.HelpCommand.class,
      QuickstartCommand.class,
      InitModelCommand.class,
      GenerateCommand.class,
      SftCommand.class,
      TrainCommand.class,
      EvalCommand.class,
      DataCommand.class,
      ScoreCommand.class,
      ExportCommand.class,
      BenchCommand.class,
      DoctorCommand.class,
      ServeCommand.class,
      BenchServeCommand.class,
      Int8CheckCommand.class,
      BenchInt8Command.class,
      CheckRunCommand.class,
      FuzzCommand.class,
      DashboardCommand.class,
      ReportCommand.class,
      LaunchCommand.class,
      SweepCommand.class,
    })
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    // JavaCPP's Loader properties before any command can touch a JavaCPP class (NativeLoader)
    io.grpo4j.torch.NativeLoader.configure();
    System.exit(commandLine().execute(args));
  }

  /** The configured command line; tests drive commands through it. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler(new ErrorHandler());
    return cl;
  }
}
