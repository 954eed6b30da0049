package io.grpo4j.dist;

/**
 * A rank for {@link LauncherTest}: prints its torchrun variables, then behaves as {@code args[0]}
 * says: {@code ok} exits 0; {@code fail1} makes rank 1 exit with 7 while the others sleep (and must
 * be stopped by the launcher).
 */
public final class LaunchProbe {
  public static void main(String[] args) throws Exception {
    DistEnv env = DistEnv.fromEnvironment();
    System.out.println("env " + env.asEnvironment());
    System.err.println("to stderr " + env.rank());
    switch (args[0]) {
      case "ok" -> System.exit(0);
      case "fail1" -> {
        if (env.rank() == 1) System.exit(7);
        Thread.sleep(300_000);
      }
      default -> System.exit(99);
    }
  }
}
