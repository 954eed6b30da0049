package io.grpo4j.torch;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch_cuda;

/**
 * Whether this process can use CUDA, and if not, why — named precisely: the CPU natives, the
 * library the CUDA backend failed to load with the loader's error and the sonames not found, a
 * missing driver, or the CUDA runtime's own error. Also the GPUs and the caching allocator's peak
 * memory.
 */
public final class Cuda {
  private Cuda() {}

  /**
   * One GPU as the CUDA runtime describes it.
   *
   * @param totalMemoryBytes global memory
   * @param major compute capability, major part (bf16 tensor cores from 8: Ampere)
   */
  public record Gpu(int index, String name, long totalMemoryBytes, int major, int minor) {
    public boolean bf16() {
      return major >= 8;
    }

    public String computeCapability() {
      return major + "." + minor;
    }
  }

  /**
   * @param reason null when available; else one or more sentences saying why not
   */
  public record Status(boolean available, String reason, List<Gpu> gpus) {}

  /** Never throws: everything that goes wrong becomes the reason. */
  public static Status status() {
    String why = unavailableReason();
    if (why != null) return new Status(false, why, List.of());
    List<Gpu> gpus = new ArrayList<>();
    try (PointerScope scope = new PointerScope()) {
      int n = torch.cuda_device_count();
      for (int i = 0; i < n; i++) {
        var p = torch_cuda.getDeviceProperties((byte) i);
        gpus.add(new Gpu(i, p.name().getString(), p.totalGlobalMem(), p.major(), p.minor()));
      }
    } catch (RuntimeException | LinkageError e) {
      return new Status(false, "listing the GPUs failed: " + e, List.of());
    }
    return new Status(true, null, List.copyOf(gpus));
  }

  private static volatile String reason;
  private static volatile boolean checked;

  /**
   * Null when CUDA works in this process; else why not (for any command asked for CUDA). Worked out
   * once per process: a second attempt would only see the first one's half-initialised classes.
   */
  public static synchronized String unavailableReason() {
    if (!checked) {
      reason = findReason();
      checked = true;
    }
    return reason;
  }

  private static String findReason() {
    String load;
    try {
      load = Natives.loadCudaBackend();
    } catch (RuntimeException | LinkageError e) {
      return "libtorch did not load: " + e.getMessage() + missingHint();
    }
    if (load != null) {
      if (!Natives.inspect().gpu()) return load;
      return "libtorch's CUDA backend did not load: " + load + missingHint();
    }
    if (torch.cuda_is_available()) return null;
    if (!driverFound()) {
      return "no NVIDIA driver: libcuda.so.1 is neither in the loader cache (ldconfig -p) nor on"
          + " LD_LIBRARY_PATH (install the driver; in a container, expose the GPU, e.g. docker run"
          + " --gpus all)";
    }
    String runtime = runtimeError();
    if (runtime != null) return runtime;
    return "libtorch reports no CUDA device (CUDA_VISIBLE_DEVICES="
        + System.getenv().getOrDefault("CUDA_VISIBLE_DEVICES", "<unset>")
        + "); nvidia-smi shows what the driver sees";
  }

  /** Whether the NVIDIA driver (libcuda.so.1) is in the loader cache or on LD_LIBRARY_PATH. */
  static boolean driverFound() {
    List<CudaLibraries.Library> driver =
        CudaLibraries.list().stream().filter(l -> l.kind() == CudaLibraries.Kind.DRIVER).toList();
    return CudaLibraries.locate(driver, List.of(), CudaLibraries.loaderCache()).stream()
            .allMatch(CudaLibraries.Location::found)
        || CudaLibraries.ldLibraryPath().stream()
            .anyMatch(d -> Files.exists(d.resolve("libcuda.so.1")));
  }

  /** The CUDA runtime's answer to cudaGetDeviceCount when it is an error, else null. */
  private static String runtimeError() {
    try {
      int[] count = new int[1];
      int err = org.bytedeco.cuda.global.cudart.cudaGetDeviceCount(count);
      if (err == 0) return count[0] == 0 ? "the CUDA runtime sees no GPU" : null;
      return "cudaGetDeviceCount: error "
          + err
          + ": "
          + org.bytedeco.cuda.global.cudart.cudaGetErrorString(err).getString();
    } catch (RuntimeException | LinkageError e) {
      return "the CUDA runtime (libcudart) could not be asked: " + e;
    }
  }

  /** "; not found: libcudnn.so.9, …" for the required libraries this process cannot see. */
  static String missingHint() {
    try {
      List<String> missing =
          CudaLibraries.locate(
                  CudaLibraries.list(), CudaLibraries.ldLibraryPath(), CudaLibraries.loaderCache())
              .stream()
              .filter(l -> !l.found() && l.library().kind() == CudaLibraries.Kind.REQUIRED)
              .map(l -> l.library().soname())
              .collect(Collectors.toList());
      if (missing.isEmpty()) return "";
      return ". Not found on LD_LIBRARY_PATH or in the loader cache: "
          + String.join(", ", missing)
          + " (the launcher finds CUDA 13 libraries in GRPO4J_CUDA_LIB_PATH, CUDA_HOME,"
          + " /usr/local/cuda and Python nvidia-* wheels; `./grpo4j --gpu doctor` lists them)";
    } catch (RuntimeException e) {
      return "";
    }
  }

  /**
   * Peak bytes of the CUDA caching allocator on {@code device} since the last {@link #resetPeak}:
   * {@code allocated} (tensors) and {@code reserved} (what the allocator holds from the driver;
   * what must fit in the card).
   */
  public record MemoryPeak(long allocatedBytes, long reservedBytes) {}

  public static MemoryPeak peak(int device) {
    try (PointerScope scope = new PointerScope()) {
      var stats = torch_cuda.getAllocator().getDeviceStats((byte) device);
      // allocated_bytes()/reserved_bytes() map a StatArray: element 0 is the aggregate over pools
      return new MemoryPeak(stats.allocated_bytes().peak(), stats.reserved_bytes().peak());
    }
  }

  public static void resetPeak(int device) {
    torch_cuda.getAllocator().resetPeakStats((byte) device);
  }
}
