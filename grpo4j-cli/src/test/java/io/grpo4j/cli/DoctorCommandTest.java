package io.grpo4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
    Run r = doctor("--device", "cuda", "--json", json.toString());
    assertThat(r.rc()).isEqualTo(1);
    assertThat(r.out())
        .contains("natives    cpu")
        .contains("libtorch 2.")
        .contains("OpenBLAS")
        .contains("verdict    --device cuda: FAILS")
        .contains("CPU natives")
        .contains("--gpu");
    JsonNode j = JSON.readTree(json.toFile());
    assertThat(j.path("verdict").path("ok").asBoolean(true)).isFalse();
    assertThat(j.path("verdict").path("reason").asText()).contains("CPU natives");
    assertThat(j.path("natives").path("flavour").asText()).isEqualTo("cpu");
    assertThat(j.path("cuda").path("available").asBoolean(true)).isFalse();
    assertThat(j.path("cuda_libraries").size()).isGreaterThan(10);
  }

  /** With no --device the CPU build is judged by the device it can use, and says why not CUDA. */
  @Test
  void withNoDeviceTheCpuBuildPassesAndSaysWhyNotCuda() throws Exception {
    Path json = tmp.resolve("d.json");
    Run r = doctor("--json", json.toString());
    assertThat(r.rc()).as(r.out()).isZero();
    assertThat(r.out())
        .contains("verdict    cpu: OK")
        .contains("CUDA would not work: this build has libtorch's CPU natives")
        .doesNotContain("FAILS");
    JsonNode v = JSON.readTree(json.toFile()).path("verdict");
    assertThat(v.path("ok").asBoolean(false)).isTrue();
    assertThat(v.path("device").asText()).isEqualTo("cpu");
    assertThat(v.has("asked")).isFalse();
    assertThat(v.path("cuda_would_not").asText()).contains("--gpu");
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
}
