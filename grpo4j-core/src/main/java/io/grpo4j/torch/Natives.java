package io.grpo4j.torch;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import org.bytedeco.javacpp.Loader;

/**
 * Which libtorch natives this process runs and where JavaCPP unpacked them: the CPU build ({@code
 * org.bytedeco:pytorch:…:linux-x86_64}) or the GPU one ({@code linux-x86_64-gpu}, {@code mvn
 * -Pgpu}).
 *
 * <p>Why CUDA could go missing silently: the GPU natives link {@code libtorch_cpu.so} (which needs
 * only libcudart and libcupti) into {@code libjnitorch.so}, while {@code libtorch_cuda.so} — the
 * CUDA backend, which needs cuBLAS, cuDNN, NCCL, … — is a JavaCPP <em>preload</em>. A preload that
 * fails is skipped without a word (only {@code -Dorg.bytedeco.javacpp.logger.debug=true} shows it),
 * so libtorch starts without its CUDA backend and reports "CUDA is not available"; on an empty
 * cache it failed because JavaCPP loaded it before unpacking the libtorch_cpu.so it needs ({@link
 * NativeLoader} has the whole story). {@link NativeLoader#load} unpacks everything first, loads the
 * backend (libc10_cuda, libtorch_cuda, libtorch_cuda_linalg) explicitly after libtorch_cpu.so, and
 * keeps the loader's error for {@link #loadCudaBackend}.
 *
 * @param flavour {@code cpu} or {@code gpu}
 * @param pytorchVersion the org.bytedeco:pytorch version, e.g. {@code 2.10.0-1.5.13}
 * @param folder where libjnitorch.so was loaded from (the JavaCPP cache folder of the natives jar)
 */
public record Natives(String flavour, String pytorchVersion, Path folder) {

  /** How to see every library JavaCPP loads or fails to load. */
  public static final String DEBUG_HINT =
      "every library JavaCPP loads or fails to load: GRPO4J_JAVA_OPTS='-Xmx8g"
          + " -Dorg.bytedeco.javacpp.logger.debug=true' ./grpo4j --gpu doctor";

  /** libtorch's own version, e.g. {@code 2.10.0}. */
  public String libtorchVersion() {
    int dash = pytorchVersion.indexOf('-');
    return dash < 0 ? pytorchVersion : pytorchVersion.substring(0, dash);
  }

  public boolean gpu() {
    return flavour.equals("gpu");
  }

  /**
   * Loads libtorch (unpacking it into the JavaCPP cache on first use) and says which it is: {@link
   * NativeLoader#load}, which loads only the natives jar's own files.
   */
  public static Natives inspect() {
    return NativeLoader.load();
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
   * With the GPU natives: null when the CUDA backend loaded from {@link #folder}, else its first
   * failure as {@code "LIBRARY: LOADER ERROR"} (the loader's error names the library it could not
   * find). With the CPU natives: a sentence saying so. {@link NativeLoader#load} loads the backend,
   * in dependency order, before anything asks libtorch about CUDA (libtorch looks for its CUDA
   * backend once).
   */
  public static String loadCudaBackend() {
    Natives n = inspect();
    if (!n.gpu()) {
      return "this build has libtorch's CPU natives (org.bytedeco:pytorch:"
          + n.pytorchVersion()
          + ":"
          + Loader.getPlatform()
          + "); the GPU build runs with ./grpo4j --gpu ... or GRPO4J_GPU=1 (mvn -Pgpu, built into"
          + " target-gpu/)";
    }
    return NativeLoader.cudaBackendError();
  }
}
