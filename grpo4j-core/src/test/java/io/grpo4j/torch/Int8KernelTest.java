package io.grpo4j.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The W8A16 kernel source compiles to PTX with every entry point (no GPU needed); whether it
 * computes the right numbers fast needs a GPU: scripts/gpu-check.sh's int8-kernel step.
 */
class Int8KernelTest {
  @TempDir Path tmp;

  /** nvcc from CUDA_HOME, /usr/local/cuda or PATH; null when there is none. */
  private static Path nvcc() {
    List<Path> candidates = new ArrayList<>();
    String home = System.getenv("CUDA_HOME");
    if (home != null) candidates.add(Path.of(home, "bin", "nvcc"));
    candidates.add(Path.of("/usr/local/cuda/bin/nvcc"));
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":"))
      if (!dir.isEmpty()) candidates.add(Path.of(dir, "nvcc"));
    return candidates.stream().filter(Files::isExecutable).findFirst().orElse(null);
  }

  private static void assertAllEntryPoints(String ptx) {
    for (String name : Int8Kernel.entryPoints()) {
      assertThat(ptx).as(name).contains(".entry " + name + "(");
    }
    assertThat(Int8Kernel.entryPoints()).hasSize(12);
  }

  @Test
  void theSourceCompilesToPtxWithNvcc() throws Exception {
    Path nvcc = nvcc();
    assumeTrue(nvcc != null, "no nvcc (CUDA toolkit) on this machine: the PTX check is skipped");
    Path cu = tmp.resolve("w8a16.cu");
    Files.writeString(cu, Int8Kernel.source(), StandardCharsets.UTF_8);
    Path ptx = tmp.resolve("w8a16.ptx");
    // compute_80: the oldest GPUs with bf16 (A100); the kernel needs nothing newer
    Process p =
        new ProcessBuilder(
                nvcc.toString(), "--ptx", "-arch=compute_80", "-o", ptx.toString(), cu.toString())
            .redirectErrorStream(true)
            .start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("nvcc: %s", log).isZero();
    assertAllEntryPoints(Files.readString(ptx));
  }

  @Test
  void theSourceCompilesToPtxWithNvrtc() {
    String why = Int8Kernel.nvrtcUnavailableReason();
    assumeTrue(why == null, "skipped: " + why);
    assertAllEntryPoints(Int8Kernel.compilePtx("80"));
  }

  @Test
  void onACpuTheKernelStepsAsideAndTheWidenedProductRuns() {
    var w = torch.randn(new long[] {8, 32});
    var q = Int8Weights.quantize(w);
    var x = torch.randn(new long[] {3, 32});
    assertThat(Int8Kernel.unusableReason(x, q.values())).isEqualTo("not on CUDA");
    var bias = torch.randn(new long[] {8});
    var y = Int8Weights.linear(x, q.values(), q.scales(), bias);
    var expected = Int8Weights.matmul(x, q.values(), q.scales()).add(bias);
    assertThat(y.sub(expected).abs().max().item_double()).isZero();
  }
}
