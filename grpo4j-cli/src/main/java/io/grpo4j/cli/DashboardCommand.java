package io.grpo4j.cli;

import io.grpo4j.report.DashboardServer;
import io.grpo4j.report.RunSet;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
    name = "dashboard",
    description =
        "Serves a live dashboard of run folders (quickstart and sweep folders too): curves that update while a run trains, runs overlaid, the eval table, and rollouts with every token coloured by its advantage, reward, entropy or log-prob. Stop it with Ctrl-C.")
final class DashboardCommand implements Callable<Integer> {
  @Parameters(
      arity = "0..*",
      paramLabel = "RUN_DIR",
      description = "Run, quickstart or sweep folders (default: runs/quickstart).")
  List<Path> dirs;

  @Mixin ListenOptions listen = new ListenOptions(8080);

  @Override
  public Integer call() throws Exception {
    List<Path> folders =
        dirs == null || dirs.isEmpty() ? List.of(Path.of("runs/quickstart")) : dirs;
    RunSet set = RunSet.of(folders);
    String title = String.join(" vs ", set.runs().stream().map(r -> r.name()).toList());
    CountDownLatch stop = new CountDownLatch(1);
    try (DashboardServer server = DashboardServer.start(set, listen.host, listen.port, title)) {
      Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
      System.out.printf(
          "dashboard: http://%s:%d/ (%d run%s; Ctrl-C stops)%n",
          listen.urlHost(), server.port(), set.size(), set.size() == 1 ? "" : "s");
      stop.await();
    }
    return 0;
  }
}
