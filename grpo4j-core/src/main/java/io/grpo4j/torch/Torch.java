package io.grpo4j.torch;

import java.util.Locale;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;

/**
 * Process-wide libtorch set-up: intra-op threads, the global seed, and parsing of device names.
 * Call {@link #init} once at the start of every command that touches tensors, before any other
 * libtorch call: it loads grpo4j's own libtorch and nothing else ({@link NativeLoader}).
 */
public final class Torch {
  private Torch() {}

  /**
   * Sets libtorch's intra-op thread count ({@code threads <= 0}: leave libtorch's default, which is
   * the number of cores) and seeds every libtorch generator with {@code seed}.
   */
  public static void init(int threads, long seed) {
    // Only the natives jar's libtorch, unpacked and loaded in dependency order; with the GPU
    // natives also the CUDA backend, before manual_seed asks libtorch about CUDA (libtorch looks
    // for it once). A CUDA failure is kept, deviceName reports it.
    NativeLoader.load();
    if (threads > 0) {
      torch.set_num_threads(threads);
      // "threads" means every compute thread: OpenBLAS keeps its own pool, and 2 BLAS threads
      // behind 1 libtorch thread made small tiny-model steps several times slower on 2 shared
      // cores.
      setBlasThreads(threads);
    }
    torch.manual_seed(seed);
  }

  /**
   * Threads of the OpenBLAS that libtorch calls for f32 matrix products. OpenBLAS keeps its own
   * pthread pool, separate from libtorch's OpenMP threads ({@link #threads}), whose workers spin
   * after each product. Measured on a shared 2-core machine (docs/performance.md): a [64 x 512] x
   * [512 x 512] product took 146 ms with 2 BLAS threads and 1.0 ms with 1 when other processes
   * competed for the cores (16 concurrent decode streams of the tiny model: 30 s vs 0.4 s), while
   * large products lose about half their speed with 1 thread on a quiet machine.
   */
  public static int blasThreads() {
    NativeLoader.load();
    org.bytedeco.javacpp.Loader.load(org.bytedeco.openblas.global.openblas_full.class);
    return org.bytedeco.openblas.global.openblas_full.openblas_get_num_threads();
  }

  /**
   * Sets the OpenBLAS thread count (see {@link #blasThreads}); {@code n <= 0} leaves it as it is.
   * Returns the previous count, so a caller can restore it.
   */
  public static int setBlasThreads(int n) {
    int before = blasThreads();
    if (n > 0) org.bytedeco.openblas.global.openblas_full.openblas_set_num_threads(n);
    return before;
  }

  /** libtorch's current intra-op thread count. */
  public static int threads() {
    return torch.get_num_threads();
  }

  /**
   * Parses {@code cpu}, {@code cuda} or {@code cuda:N}; fails with a clear message for anything
   * else, or for CUDA when this build or machine has none.
   */
  public static Device device(String name) {
    String canonical = deviceName(name);
    NativeLoader.load();
    return new Device(canonical);
  }

  /**
   * Checks a device name as {@link #device} does and returns its canonical form ({@code cpu} or
   * {@code cuda:N}), so code outside the tensor packages can validate a {@code --device} early
   * without holding a JavaCPP object.
   */
  public static String deviceName(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    if (n.equals("cpu")) {
      return "cpu";
    }
    if (n.equals("cuda") || n.matches("cuda:\\d+")) {
      String why = Cuda.unavailableReason();
      if (why != null) {
        throw new IllegalArgumentException(
            "device '" + name + "' requested but CUDA is not available: " + why);
      }
      int index = n.equals("cuda") ? 0 : Integer.parseInt(n.substring(5));
      int count = torch.cuda_device_count();
      if (index >= count) {
        throw new IllegalArgumentException(
            "device '" + name + "': only " + count + " CUDA device(s) visible");
      }
      return n.equals("cuda") ? "cuda:0" : n;
    }
    throw new IllegalArgumentException(
        "unknown device '" + name + "': expected cpu, cuda or cuda:N");
  }
}
