package io.grpo4j.torch;

import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.Pointer;

/**
 * Process memory as seen from inside, logged once per training step so a native leak (tensors or
 * autograd graphs that outlive their step) shows up as a rising line in {@code metrics.jsonl}
 * rather than as an out-of-memory kill hours later.
 *
 * <ul>
 *   <li>{@code mem/rss_bytes}: resident set size of the whole process ({@link
 *       Pointer#physicalBytes()}: Java heap, JIT, libtorch's allocations, everything);
 *   <li>{@code mem/native_bytes}: RSS minus the Java heap currently committed, i.e. what lives
 *       outside the garbage-collected heap (libtorch tensors, code, thread stacks);
 *   <li>{@code mem/javacpp_bytes} and {@code mem/javacpp_pointers}: bytes and count of native
 *       objects JavaCPP still tracks ({@link Pointer#totalBytes()}, {@link Pointer#totalCount()}):
 *       a count that climbs step after step means wrappers escape their {@code PointerScope}.
 *   <li>{@code mem/cuda_peak_allocated_bytes} and {@code mem/cuda_peak_reserved_bytes}, only when
 *       CUDA is in use: the CUDA caching allocator's peak of tensor bytes and of bytes it holds
 *       from the driver on the current device since the previous row (each row resets the peak), so
 *       a run's largest value is its peak GPU memory (the CUDA context itself is not counted).
 * </ul>
 */
public final class MemoryStats {
  private MemoryStats() {}

  /** The current values under their metrics names. */
  public static Map<String, Object> row() {
    Map<String, Object> m = new LinkedHashMap<>();
    long rss = Pointer.physicalBytes();
    m.put("mem/rss_bytes", rss);
    m.put("mem/native_bytes", rss - Runtime.getRuntime().totalMemory());
    m.put("mem/javacpp_bytes", Pointer.totalBytes());
    m.put("mem/javacpp_pointers", Pointer.totalCount());
    if (Natives.gpuOnClassPath() && Cuda.unavailableReason() == null) {
      int device = org.bytedeco.pytorch.global.torch_cuda.current_device();
      Cuda.MemoryPeak peak = Cuda.peak(device);
      m.put("mem/cuda_peak_allocated_bytes", peak.allocatedBytes());
      m.put("mem/cuda_peak_reserved_bytes", peak.reservedBytes());
      Cuda.resetPeak(device);
    }
    return m;
  }
}
