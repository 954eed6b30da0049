package io.grpo4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DoctorCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  private record Run(int rc, String out) {}

  private static Run doctor(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
      var cl = new picocli.CommandLine(new DoctorCommand());
      cl.setExecutionExceptionHandler(new ErrorHandler());
      return new Run(cl.execute(args), buf.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(old);
    }
  }

  @Test
  void cpuBuildAskedForCudaExitsOneAndSaysWhy() throws Exception {
    Path json = tmp.resolve("d.json");
    Run r = doctor("--json", json.toString());
    assertThat(r.rc()).isEqualTo(1);
    assertThat(r.out())
        .contains("natives    cpu")
        .contains("libtorch 2.")
        .contains("OpenBLAS")
        .contains("verdict    --device cuda: FAILS")
        .contains("CPU natives")
        .contains("--gpu");
    JsonNode j = JSON.readTree(json.toFile());
    assertThat(j.path("ok").asBoolean(true)).isFalse();
    assertThat(j.path("natives").path("flavour").asText()).isEqualTo("cpu");
    assertThat(j.path("cuda").path("available").asBoolean(true)).isFalse();
    assertThat(j.path("cuda_libraries").size()).isGreaterThan(10);
  }

  @Test
  void cpuDeviceIsFineOnTheCpuBuild() {
    Run r = doctor("--device", "cpu");
    assertThat(r.rc()).isZero();
    assertThat(r.out()).contains("verdict    --device cpu: OK");
  }

  @Test
  void unknownDeviceIsRefused() {
    assertThat(doctor("--device", "tpu").rc()).isNotZero();
  }

  /**
   * The extraction half of the fresh-cache first-run failure: a JVM with an empty JavaCPP cache
   * folder must unpack libtorch into the pytorch jar's own folder, complete, with no libtorch copy
   * anywhere else in the cache (the GPU report found a stray libtorch_cuda.so under the openblas
   * jar's folder), and report it on this very first run.
   */
  @Test
  void firstRunOnAFreshCacheUnpacksLibtorchInOneFolder() throws Exception {
    Path cache = tmp.resolve("fresh-cache");
    Path json = tmp.resolve("doctor.json");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-Xmx1g",
                "--enable-native-access=ALL-UNNAMED",
                "-Dorg.bytedeco.javacpp.cachedir=" + cache,
                "-Dorg.bytedeco.javacpp.maxBytes=0",
                "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "doctor",
                "--device",
                "cpu",
                "--json",
                json.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    JsonNode j = JSON.readTree(json.toFile());
    Path folder = Path.of(j.path("natives").path("folder").asText());
    assertThat(folder).startsWith(cache);
    assertThat(j.path("natives").path("javacpp_cache").asText()).isEqualTo(cache.toString());
    for (String lib : List.of("libjnitorch.so", "libtorch_cpu.so", "libc10.so")) {
      assertThat(folder.resolve(lib)).as(lib).isRegularFile();
    }
    List<Path> libtorchCopies;
    try (Stream<Path> s = Files.walk(cache)) {
      libtorchCopies =
          s.filter(f -> f.getFileName().toString().matches("lib(torch|c10)[a-z_]*\\.so"))
              .filter(f -> !f.getParent().equals(folder))
              .toList();
    }
    assertThat(libtorchCopies).as("libtorch files outside " + folder).isEmpty();
    assertThat(cache.toFile().listFiles(File::isDirectory)).isNotEmpty();
  }
}
