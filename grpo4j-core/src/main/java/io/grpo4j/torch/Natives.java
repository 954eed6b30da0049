package io.grpo4j.torch;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;

/**
 * Which libtorch natives this process runs and where JavaCPP unpacked them: the CPU build ({@code
 * org.bytedeco:pytorch:…:linux-x86_64}) or the GPU one ({@code linux-x86_64-gpu}, {@code mvn
 * -Pgpu}).
 *
 * <p>Why CUDA can go missing silently: the GPU natives link {@code libtorch_cpu.so} (which needs
 * only libcudart and libcupti) into {@code libjnitorch.so}, while {@code libtorch_cuda.so} — the
 * CUDA backend, which needs cuBLAS, cuDNN, NCCL, … — is a JavaCPP <em>preload</em>. A preload that
 * fails is skipped without a word (only {@code -Dorg.bytedeco.javacpp.logger.debug=true} shows it),
 * so libtorch starts without its CUDA backend and reports "CUDA is not available". {@link
 * #loadCudaBackend} loads those libraries explicitly, from the folder the natives were unpacked to,
 * before anything asks libtorch about CUDA, and keeps the loader's error when that fails.
 *
 * @param flavour {@code cpu} or {@code gpu}
 * @param pytorchVersion the org.bytedeco:pytorch version, e.g. {@code 2.10.0-1.5.13}
 * @param folder where libjnitorch.so was loaded from (the JavaCPP cache folder of the natives jar)
 */
public record Natives(String flavour, String pytorchVersion, Path folder) {

  /**
   * The libraries of the CUDA backend, in load order (each needs the ones before it). The last is
   * not a JavaCPP preload, so a fresh cache lacks it (measured: after the first run of the GPU
   * build only the first two were unpacked); libtorch opens it by name on the first linear-algebra
   * call and finds it beside libtorch_cuda.so, so it is unpacked there first.
   */
  static final List<String> CUDA_BACKEND =
      List.of("libc10_cuda.so", "libtorch_cuda.so", "libtorch_cuda_linalg.so");

  /** How to see every library JavaCPP loads or fails to load. */
  public static final String DEBUG_HINT =
      "every library JavaCPP loads or fails to load: GRPO4J_JAVA_OPTS='-Xmx8g"
          + " -Dorg.bytedeco.javacpp.logger.debug=true' ./grpo4j --gpu doctor";

  private static volatile String cudaLoadError;
  private static volatile boolean cudaLoadTried;

  /** libtorch's own version, e.g. {@code 2.10.0}. */
  public String libtorchVersion() {
    int dash = pytorchVersion.indexOf('-');
    return dash < 0 ? pytorchVersion : pytorchVersion.substring(0, dash);
  }

  public boolean gpu() {
    return flavour.equals("gpu");
  }

  /** Loads libtorch (unpacking it into the JavaCPP cache on first use) and says which it is. */
  public static Natives inspect() {
    Loader.load(torch.class);
    String path = null;
    for (Map.Entry<String, String> e : Loader.getLoadedLibraries().entrySet()) {
      if (e.getKey().startsWith("jnitorch") && !e.getKey().startsWith("jnitorch_")) {
        path = e.getValue();
      }
    }
    Path folder = path == null ? null : Path.of(path).getParent();
    String flavour;
    if (folder != null) {
      flavour = folder.getFileName().toString().endsWith("-gpu") ? "gpu" : "cpu";
    } else {
      flavour = gpuOnClassPath() ? "gpu" : "cpu";
    }
    String version;
    try {
      version = Loader.getVersion("org.bytedeco", "pytorch", torch.class);
    } catch (IOException e) {
      version = null;
    }
    return new Natives(flavour, version == null ? "unknown" : version, folder);
  }

  /** True when the class path holds libtorch's -gpu natives. */
  static boolean gpuOnClassPath() {
    return Natives.class.getResource(
            "/org/bytedeco/pytorch/" + Loader.getPlatform() + "-gpu/libtorch_cuda.so")
        != null;
  }

  /** JavaCPP's cache folder ({@code -Dorg.bytedeco.javacpp.cachedir}, default ~/.javacpp/cache). */
  public static Path cacheDir() {
    try {
      File f = Loader.getCacheDir();
      return f == null ? null : f.toPath();
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * With the GPU natives: loads the CUDA backend ({@link #CUDA_BACKEND}) from {@link #folder}
   * unless JavaCPP already did, and returns null on success or the first failure as {@code
   * "LIBRARY: LOADER ERROR"} (the loader's error names the library it could not find). With the CPU
   * natives: a sentence saying so. Call before anything asks libtorch about CUDA: libtorch looks
   * for its CUDA backend once.
   */
  public static synchronized String loadCudaBackend() {
    Natives n = inspect();
    if (!n.gpu()) {
      return "this build has libtorch's CPU natives (org.bytedeco:pytorch:"
          + n.pytorchVersion()
          + ":"
          + Loader.getPlatform()
          + "); the GPU build runs with ./grpo4j --gpu ... or GRPO4J_GPU=1 (mvn -Pgpu, built into"
          + " target-gpu/)";
    }
    if (cudaLoadTried) return cudaLoadError;
    cudaLoadTried = true;
    List<String> errors = new ArrayList<>();
    for (String lib : CUDA_BACKEND) {
      Path f = n.folder() == null ? null : n.folder().resolve(lib);
      if (f != null && !Files.exists(f)) {
        try {
          Loader.cacheResource(
              Natives.class, "/org/bytedeco/pytorch/" + n.folder().getFileName() + "/" + lib);
        } catch (IOException e) {
          errors.add(lib + ": unpacking it into " + n.folder() + " failed: " + e);
          break;
        }
      }
      if (f == null || !Files.exists(f)) {
        errors.add(lib + ": not in the natives jar or not unpacked into " + n.folder());
        break;
      }
      try {
        System.load(f.toString());
      } catch (UnsatisfiedLinkError e) {
        errors.add(lib + ": " + e.getMessage());
        break;
      }
    }
    cudaLoadError = errors.isEmpty() ? null : errors.get(0);
    return cudaLoadError;
  }
}
