package io.grpo4j.task;

/**
 * The Python interpreter the test programs run with: {@code sys.executable} of {@code python3},
 * resolved once. A version manager's {@code python3} shim (pyenv) is a shell script that took
 * seconds to start on a busy machine, which counted against the timeouts the program tests set.
 */
public final class TestPython {
  public static final String PYTHON = resolve();

  private TestPython() {}

  private static String resolve() {
    try {
      Process p =
          new ProcessBuilder("python3", "-c", "import sys; print(sys.executable)")
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes()).strip();
      return p.waitFor() == 0 && !out.isEmpty() ? out : "python3";
    } catch (java.io.IOException e) {
      return "python3";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "python3";
    }
  }

  /** A shell command line running {@code script} with {@code args} under that interpreter. */
  public static String command(java.nio.file.Path script, String args) {
    return "'" + PYTHON + "' '" + script + "'" + (args.isEmpty() ? "" : " " + args);
  }

  /**
   * {@code relative} (a path in the repository, e.g. {@code examples/guess/env.py}) resolved in the
   * first folder up from the working directory that holds it: the repository's root, whichever
   * module the tests run in.
   */
  public static java.nio.file.Path repositoryFile(String relative) {
    java.nio.file.Path d = java.nio.file.Path.of("").toAbsolutePath();
    while (d != null && !java.nio.file.Files.exists(d.resolve(relative))) d = d.getParent();
    if (d == null) throw new IllegalStateException(relative + " not found above the cwd");
    return d.resolve(relative);
  }
}
