package io.grpo4j.cli;

/** Runs {@code doctor} alone in a fresh JVM (the fresh-cache test forks it). */
public final class DoctorMain {
  private DoctorMain() {}

  public static void main(String[] args) {
    var cl = new picocli.CommandLine(new DoctorCommand());
    cl.setExecutionExceptionHandler(new ErrorHandler());
    System.exit(cl.execute(args));
  }
}
