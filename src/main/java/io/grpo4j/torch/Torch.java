package io.grpo4j.torch;

import java.util.Locale;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;

/**
 * Process-wide libtorch set-up: intra-op threads, the global seed, and parsing of device names.
 * Call {@link #init} once at the start of every command that touches tensors.
 */
public final class Torch {
  private Torch() {}

  /**
   * Sets libtorch's intra-op thread count ({@code threads <= 0}: leave libtorch's default, which is
   * the number of cores) and seeds every libtorch generator with {@code seed}.
   */
  public static void init(int threads, long seed) {
    if (threads > 0) {
      torch.set_num_threads(threads);
    }
    torch.manual_seed(seed);
  }

  /**
   * Sets OpenBLAS' own thread count (libtorch's CPU GEMMs run in OpenBLAS, whose threads are not
   * libtorch's intra-op threads); returns the previous count. Measured on the 2-core development
   * machine while other JVMs were computing: 16 concurrent decode streams of the tiny model took
   * 30 s with OpenBLAS' default threads and 0.4 s with one, because a multi-threaded GEMM waits for
   * every one of its threads to be scheduled.
   */
  public static int setBlasThreads(int threads) {
    if (threads <= 0) throw new IllegalArgumentException("BLAS threads must be > 0, got " + threads);
    int before = org.bytedeco.openblas.global.openblas_full.openblas_get_num_threads();
    org.bytedeco.openblas.global.openblas_full.openblas_set_num_threads(threads);
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
    String n = name.trim().toLowerCase(Locale.ROOT);
    if (n.equals("cpu")) {
      return new Device("cpu");
    }
    if (n.equals("cuda") || n.matches("cuda:\\d+")) {
      if (!torch.cuda_is_available()) {
        throw new IllegalArgumentException(
            "device '" + name + "' requested but CUDA is not available (build with -Pgpu and run on a machine with an NVIDIA GPU and CUDA 13)");
      }
      int index = n.equals("cuda") ? 0 : Integer.parseInt(n.substring(5));
      int count = torch.cuda_device_count();
      if (index >= count) {
        throw new IllegalArgumentException("device '" + name + "': only " + count + " CUDA device(s) visible");
      }
      return new Device(n.equals("cuda") ? "cuda:0" : n);
    }
    throw new IllegalArgumentException("unknown device '" + name + "': expected cpu, cuda or cuda:N");
  }
}
