package io.grpo4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The child JVM of {@link FreshCacheNativesTest}: runs {@code grpo4j doctor} and then a forward
 * pass ({@code grpo4j generate}) in one process, as an application embedding grpo4j would (no
 * launcher, no JavaCPP flags unless the test passes them), and copies this process's {@code
 * /proc/self/maps} to a file while libtorch is still loaded.
 *
 * <p>Arguments: {@code MAPS_OUT DOCTOR_ARGS... -- GENERATE_ARGS...} (without {@code -- ...}: doctor
 * only). Exit status: doctor's, else generate's.
 */
public final class NativesProbe {
  private NativesProbe() {}

  public static void main(String[] args) throws Exception {
    Path maps = Path.of(args[0]);
    List<String> rest = Arrays.asList(args).subList(1, args.length);
    int dash = rest.indexOf("--");
    List<String> doctor = dash < 0 ? rest : rest.subList(0, dash);
    List<String> generate = dash < 0 ? List.of() : rest.subList(dash + 1, rest.size());
    int rc = Main.commandLine().execute(doctor.toArray(String[]::new));
    if (rc == 0 && !generate.isEmpty()) {
      rc = Main.commandLine().execute(generate.toArray(String[]::new));
    }
    Files.write(maps, Files.readAllLines(Path.of("/proc/self/maps")));
    System.out.flush();
    System.exit(rc);
  }
}
