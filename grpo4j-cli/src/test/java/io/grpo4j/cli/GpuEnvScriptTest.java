package io.grpo4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/gpu-env.sh, the launcher's choice of build and its search for the CUDA 13 libraries, run
 * by bash against fake trees: empty files named like the libraries, no real CUDA needed.
 */
class GpuEnvScriptTest {
  private static final Path ROOT = Path.of("").toAbsolutePath();
  @TempDir Path tmp;

  /** Runs {@code script} after sourcing gpu-env.sh; returns stdout (fails on a non-zero exit). */
  private String bash(Map<String, String> env, String script) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", "-c", ""));
    cmd.set(
        2,
        "set -euo pipefail; GRPO4J_ROOT='"
            + ROOT
            + "'; . \"$GRPO4J_ROOT/scripts/gpu-env.sh\"; "
            + script);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE);
    Map<String, String> e = pb.environment();
    e.keySet()
        .removeIf(
            k ->
                k.startsWith("GRPO4J_")
                    || k.startsWith("CUDA_")
                    || k.equals("VIRTUAL_ENV")
                    || k.equals("CONDA_PREFIX"));
    e.put("HOME", tmp.resolve("home").toString());
    e.put("GRPO4J_SYSROOT", tmp.resolve("sys").toString());
    e.put("GRPO4J_PYTHON", "none");
    e.put("GRPO4J_LDCONFIG", "none");
    e.putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("bash exit; stderr: %s", err).isZero();
    return out;
  }

  /** Creates empty files named {@code names} in {@code dir}. */
  private Path libs(String dir, String... names) throws IOException {
    Path d = tmp.resolve(dir);
    Files.createDirectories(d);
    for (String n : names) Files.writeString(d.resolve(n), "");
    return d;
  }

  /** All required sonames of the shipped list. */
  private static List<String> required() throws IOException {
    List<String> out = new ArrayList<>();
    for (String l :
        Files.readAllLines(
            ROOT.resolve("grpo4j-core/src/main/resources/io/grpo4j/torch/cuda-libraries.txt"))) {
      String[] f = l.strip().split("\\s+");
      if (f.length == 3 && !l.startsWith("#") && f[1].equals("required")) out.add(f[0]);
    }
    return out;
  }

  private Map<String, String> find(Map<String, String> env) throws Exception {
    String out =
        bash(
            env,
            "grpo4j_find_cuda_libs; printf 'LD=%s\\nMISSING=%s\\n' \"$GRPO4J_CUDA_LD\""
                + " \"$GRPO4J_CUDA_MISSING\"; printf '%s' \"$GRPO4J_CUDA_TABLE\"");
    Map<String, String> m = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      if (line.startsWith("LD=")) m.put("LD", line.substring(3));
      else if (line.startsWith("MISSING=")) m.put("MISSING", line.substring(8));
      else if (!line.isBlank()) {
        String[] f = line.split(" ", 3);
        m.put(f[0] + " " + f[1], f.length > 2 ? f[2] : "");
      }
    }
    return m;
  }

  @Test
  void gpuBuildOnlyWhenAskedAndTheArgumentIsConsumed() throws Exception {
    String show =
        "grpo4j_select_flavour \"$@\"; echo \"$GRPO4J_FLAVOUR ${GRPO4J_BUILD_DIR#$GRPO4J_ROOT/} [$GRPO4J_MVN_PROFILE] ${GRPO4J_ARGS[*]}\"";
    assertThat(bash(Map.of(), "set -- doctor --device cuda; " + show))
        .isEqualTo("cpu target [] doctor --device cuda\n");
    assertThat(bash(Map.of(), "set -- --gpu doctor --json x; " + show))
        .isEqualTo("gpu target-gpu [-Pgpu] doctor --json x\n");
    assertThat(bash(Map.of("GRPO4J_GPU", "1"), "set -- bench; " + show))
        .isEqualTo("gpu target-gpu [-Pgpu] bench\n");
    assertThat(bash(Map.of("GRPO4J_GPU", "0"), "set -- bench --gpu; " + show))
        .as("--gpu is a launcher switch only in first place")
        .isEqualTo("cpu target [] bench --gpu\n");
    assertThat(bash(Map.of("GRPO4J_GPU", "maybe"), "grpo4j_select_flavour x || echo refused"))
        .isEqualTo("refused\n");
  }

  @Test
  void buildFlavourIsReadFromTheNativesJarsItHolds() throws Exception {
    libs("a/lib", "pytorch-2.10.0-1.5.13-linux-x86_64-gpu.jar", "pytorch-2.10.0-1.5.13.jar");
    libs("b/lib", "pytorch-2.10.0-1.5.13-linux-x86_64.jar", "pytorch-2.10.0-1.5.13.jar");
    Files.createDirectories(tmp.resolve("c"));
    String t = tmp.toString();
    assertThat(
            bash(
                Map.of(),
                "grpo4j_build_flavour "
                    + t
                    + "/a; grpo4j_build_flavour "
                    + t
                    + "/b; grpo4j_build_flavour "
                    + t
                    + "/c"))
        .isEqualTo("gpu\ncpu\nnone\n");
  }

  @Test
  void pipWheelsOfAVirtualEnvAreFoundFolderByFolder() throws Exception {
    List<String> req = required();
    String sp = "venv/lib/python3.12/site-packages/nvidia/";
    List<String> cudnn = req.stream().filter(s -> s.startsWith("libcudnn")).toList();
    List<String> nccl = req.stream().filter(s -> s.startsWith("libnccl")).toList();
    List<String> rest = req.stream().filter(s -> !cudnn.contains(s) && !nccl.contains(s)).toList();
    Path cu13 = libs(sp + "cu13/lib", rest.toArray(String[]::new));
    Path dnn = libs(sp + "cudnn/lib", cudnn.toArray(String[]::new));
    Path nc = libs(sp + "nccl/lib", nccl.toArray(String[]::new));
    Map<String, String> r = find(Map.of("VIRTUAL_ENV", tmp.resolve("venv").toString()));
    assertThat(r.get("MISSING")).isEmpty();
    assertThat(r.get("LD").split(":")).containsExactlyInAnyOrder(cu13 + "", dnn + "", nc + "");
    assertThat(r.get("found libcudnn.so.9")).isEqualTo(dnn.resolve("libcudnn.so.9").toString());
    assertThat(r.get("missing libcuda.so.1"))
        .as("the driver is never taken from a wheel")
        .isNotNull();
  }

  @Test
  void overrideComesFirstAndAFolderHoldingAnotherLibtorchIsNeverUsed() throws Exception {
    Path override = libs("override", "libcudart.so.13");
    Path torchLib = libs("torch/lib", "libcublas.so.13", "libtorch_cpu.so", "libc10.so");
    Path toolkit = libs("sys/usr/local/cuda/lib64", "libcudart.so.13", "libcupti.so.13");
    Map<String, String> r = find(Map.of("GRPO4J_CUDA_LIB_PATH", override + ":" + torchLib));
    assertThat(r.get("found libcudart.so.13")).isEqualTo(override + "/libcudart.so.13");
    assertThat(r.get("found libcupti.so.13")).isEqualTo(toolkit + "/libcupti.so.13");
    assertThat(r.get("skip libcublas.so.13")).startsWith(torchLib.toString());
    assertThat(r.get("missing libcublas.so.13")).isEqualTo("(required)");
    assertThat(r.get("MISSING")).contains("libcublas.so.13").doesNotContain("libcudart");
    assertThat(r.get("LD")).isEqualTo(override + ":" + toolkit);
  }

  @Test
  void cudaHomeAndTheLoaderCacheCount() throws Exception {
    Path home = libs("toolkit/lib64", "libcublas.so.13");
    Path sys = libs("syslib", "libcudnn.so.9", "libcuda.so.1");
    Path stub = tmp.resolve("ldconfig.sh");
    Files.writeString(
        stub,
        "printf '%d libs found in cache\\n' 3\n"
            + "printf '\\tlibcudnn.so.9 (libc6,x86-64) => "
            + sys
            + "/libcudnn.so.9\\n'\n"
            + "printf '\\tlibcuda.so.1 (libc6,x86-64) => "
            + sys
            + "/libcuda.so.1\\n'\n"
            + "printf '\\tlibcublas.so.13 (libc6) => /lib32/libcublas.so.13\\n'\n");
    Map<String, String> r =
        find(
            Map.of(
                "CUDA_HOME", tmp.resolve("toolkit").toString(), "GRPO4J_LDCONFIG", "bash " + stub));
    assertThat(r.get("found libcublas.so.13")).isEqualTo(home + "/libcublas.so.13");
    assertThat(r.get("system libcudnn.so.9")).isEqualTo(sys + "/libcudnn.so.9 (ldconfig)");
    assertThat(r.get("system libcuda.so.1")).isEqualTo(sys + "/libcuda.so.1 (ldconfig)");
    assertThat(r.get("LD"))
        .as("the loader finds cached libraries by itself: their folders are not added")
        .isEqualTo(home.toString());
  }
}
