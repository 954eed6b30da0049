package io.grpo4j.cli;

import io.grpo4j.dist.LaunchSpec;
import io.grpo4j.dist.Launcher;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code grpo4j launch}: starts the data-parallel ranks of this node (see {@link Launcher}). */
@Command(
    name = "launch",
    description = {
      "Start N ranks of a grpo4j command on this node, torchrun-style: each gets RANK, WORLD_SIZE,"
          + " LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT; output is prefixed with"
          + " [rank R]; when one rank fails the others are stopped and its exit status is returned.",
      "Example: grpo4j launch --nproc 2 -- train --config configs/countdown-tiny.yaml --out runs/dp2"
    })
final class LaunchCommand implements Callable<Integer> {
  @Option(names = "--nproc", required = true, description = "Ranks to start on this node.")
  int nproc;

  @Option(names = "--nnodes", description = "Nodes in the job (default ${DEFAULT-VALUE}).")
  int nnodes = 1;

  @Option(
      names = "--node-rank",
      description = "This node's index, 0..nnodes-1 (default ${DEFAULT-VALUE}).")
  int nodeRank = 0;

  @Option(
      names = "--master",
      paramLabel = "ADDR:PORT",
      description =
          "Rendezvous address of rank 0 (node 0). Default on one node: 127.0.0.1 and a free port.")
  String master;

  @Option(
      names = "--grace-s",
      description =
          "Seconds ranks get to exit after SIGTERM before they are killed (default ${DEFAULT-VALUE}).")
  long graceS = 10;

  @Parameters(
      arity = "1..*",
      paramLabel = "COMMAND",
      description =
          "The grpo4j command and its arguments, after '--' (e.g. -- train --config ...).")
  List<String> command;

  @Override
  public Integer call() throws Exception {
    LaunchSpec spec = LaunchSpec.of(nproc, nnodes, nodeRank, master, Duration.ofSeconds(graceS));
    System.err.printf(
        "launch: ranks %d..%d of %d, rendezvous %s:%d%n",
        spec.env(0).rank(),
        spec.env(nproc - 1).rank(),
        spec.worldSize(),
        spec.masterAddr(),
        spec.masterPort());
    return Launcher.run(
            spec, Launcher.javaCommand(Main.class.getName(), command), System.out, System.err)
        .exitCode();
  }
}
