package io.grpo4j.torch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.nvrtc;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch_cuda;

/**
 * The int8 weight-only product on CUDA that reads the weights as int8 ({@code w8a16.cu}, a resource
 * beside this class): {@code y = (x·qᵀ) ⊙ s (+ b)} for activations x [M, K] in bf16, f16 or f32,
 * int8 weights q [N, K] and per-output-channel scales s [N] (see {@link Int8Weights}). The source
 * is compiled at run time with NVRTC ({@code org.bytedeco.cuda.global.nvrtc}; needs {@code
 * libnvrtc.so.13}, which the launcher finds like the other CUDA libraries) to PTX for the GPU's
 * compute capability, loaded with the driver API once per device, and launched on libtorch's
 * current stream: no host synchronisation and no allocation besides the output, so it is captured
 * by a CUDA graph like any libtorch kernel.
 *
 * <p>Used by {@link Int8Weights#linear} for at most {@link #maxRows()} activation rows (decode: the
 * weights' bytes dominate); more rows (prefill) widen the weight and use cuBLAS, whose cost is
 * arithmetic there. {@code -Dgrpo4j.int8.kernel=false} turns it off (for comparisons), {@code
 * -Dgrpo4j.int8.kernel_max_rows=N} moves the limit (default 64).
 *
 * <p><b>Unverified on a GPU</b>: written and compiled to PTX on a machine without one ({@code
 * Int8KernelTest}: nvcc and, where libnvrtc loads, NVRTC); its results against the widened product
 * and its speed are the GPU check's {@code int8-kernel} step ({@code scripts/gpu-check.sh}, {@code
 * grpo4j bench-int8}). If it cannot be compiled or loaded, the widened product is used and the
 * reason printed once.
 */
public final class Int8Kernel {
  private Int8Kernel() {}

  /** The kernel's rows per block, as instantiated in {@code w8a16.cu}. */
  private static final int[] ROWS = {1, 2, 4, 8};

  private static final String[] TYPES = {"bf16", "f16", "f32"};

  /** Warps (output channels) per block. */
  private static final int WARPS = 8;

  private static final Map<Integer, CUfunc_st[][]> LOADED = new HashMap<>();
  private static final Map<Integer, String> FAILED = new HashMap<>();

  /** Whether the kernel may be used at all ({@code -Dgrpo4j.int8.kernel}, default true). */
  public static boolean enabled() {
    return Boolean.parseBoolean(System.getProperty("grpo4j.int8.kernel", "true"));
  }

  /** The most activation rows the kernel takes ({@code -Dgrpo4j.int8.kernel_max_rows}, 64). */
  public static int maxRows() {
    return Integer.getInteger("grpo4j.int8.kernel_max_rows", 64);
  }

  /** The CUDA C++ source of the kernels. */
  public static String source() {
    try (InputStream in = Int8Kernel.class.getResourceAsStream("w8a16.cu")) {
      if (in == null) throw new IllegalStateException("resource io/grpo4j/torch/w8a16.cu missing");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("reading w8a16.cu: " + e.getMessage(), e);
    }
  }

  /** The names of the kernels' entry points, {@code w8a16_<bf16|f16|f32>_r<1|2|4|8>}. */
  public static String[] entryPoints() {
    String[] names = new String[TYPES.length * ROWS.length];
    for (int t = 0; t < TYPES.length; t++)
      for (int r = 0; r < ROWS.length; r++) names[t * ROWS.length + r] = entry(t, r);
    return names;
  }

  private static String entry(int type, int rows) {
    return "w8a16_" + TYPES[type] + "_r" + ROWS[rows];
  }

  /** Null when NVRTC (libnvrtc.so.13 and its JNI binding) loads; else why not. */
  public static String nvrtcUnavailableReason() {
    try {
      Loader.load(nvrtc.class);
      int[] major = new int[1];
      int[] minor = new int[1];
      int err = nvrtc.nvrtcVersion(major, minor);
      return err == 0 ? null : "nvrtcVersion failed: error " + err;
    } catch (
        Throwable e) { // UnsatisfiedLinkError, NoClassDefFoundError, ExceptionInInitializerError
      return "NVRTC did not load (libnvrtc.so.13 is needed, from a CUDA 13 toolkit or the"
          + " nvidia-cuda-nvrtc wheel): "
          + e;
    }
  }

  /**
   * Compiles the kernels to PTX for {@code compute_<arch>} (e.g. {@code "90"}) with NVRTC.
   *
   * @throws IllegalStateException with NVRTC's log when the source does not compile
   */
  public static String compilePtx(String arch) {
    String why = nvrtcUnavailableReason();
    if (why != null) throw new IllegalStateException(why);
    try (PointerScope scope = new PointerScope()) {
      _nvrtcProgram prog = new _nvrtcProgram();
      check(
          nvrtc.nvrtcCreateProgram(
              prog,
              new BytePointer(source()),
              new BytePointer("w8a16.cu"),
              0,
              (PointerPointer) null,
              (PointerPointer) null),
          "nvrtcCreateProgram");
      try {
        String[] options = {"--gpu-architecture=compute_" + arch, "--std=c++17", "-default-device"};
        int err = nvrtc.nvrtcCompileProgram(prog, options.length, new PointerPointer<>(options));
        if (err != 0) {
          throw new IllegalStateException(
              "NVRTC could not compile w8a16.cu for compute_"
                  + arch
                  + ": "
                  + nvrtc.nvrtcGetErrorString(err).getString()
                  + "\n"
                  + log(prog));
        }
        SizeTPointer size = new SizeTPointer(1);
        check(nvrtc.nvrtcGetPTXSize(prog, size), "nvrtcGetPTXSize");
        BytePointer ptx = new BytePointer(size.get());
        check(nvrtc.nvrtcGetPTX(prog, ptx), "nvrtcGetPTX");
        return ptx.getString();
      } finally {
        nvrtc.nvrtcDestroyProgram(prog);
      }
    }
  }

  private static String log(_nvrtcProgram prog) {
    SizeTPointer size = new SizeTPointer(1);
    if (nvrtc.nvrtcGetProgramLogSize(prog, size) != 0) return "";
    BytePointer log = new BytePointer(size.get());
    return nvrtc.nvrtcGetProgramLog(prog, log) == 0 ? log.getString() : "";
  }

  private static void check(int err, String what) {
    if (err != 0)
      throw new IllegalStateException(
          what + " failed: " + nvrtc.nvrtcGetErrorString(err).getString());
  }

  /**
   * Null when the kernel can compute {@code x·qᵀ} here; else why not (then the caller widens the
   * weight instead).
   */
  public static String unusableReason(Tensor x, Tensor q) {
    if (!enabled()) return "turned off (-Dgrpo4j.int8.kernel=false)";
    if (!x.is_cuda() || !q.is_cuda()) return "not on CUDA";
    if (typeIndex(x) < 0) return "activations not in bf16, f16 or f32";
    long k = q.size(1);
    if (k % 16 != 0 || x.size(-1) != k) return "K = " + k + " is not a multiple of 16";
    if (!q.is_contiguous() || q.data_ptr().address() % 16 != 0) return "weights not aligned";
    long rows = x.numel() / k;
    if (rows > maxRows()) return rows + " rows > " + maxRows();
    return null;
  }

  private static int typeIndex(Tensor x) {
    return switch (DType.of(x.scalar_type())) { // native enums: compare as DType, not ==
      case BF16 -> 0;
      case F16 -> 1;
      case F32 -> 2;
      default -> -1;
    };
  }

  /**
   * {@code (x·qᵀ) ⊙ s + b} with the kernel, or null when the kernel is not usable here ({@link
   * #unusableReason}) or could not be loaded on this device (printed once).
   *
   * @param x [..., K] activations
   * @param q [N, K] int8
   * @param scales [N] in x's dtype
   * @param bias [N] in x's dtype, or null
   */
  public static Tensor linear(Tensor x, Tensor q, Tensor scales, Tensor bias) {
    if (unusableReason(x, q) != null) return null;
    int device = x.device().has_index() ? x.device().index() : 0;
    CUfunc_st[][] functions = functions(device);
    if (functions == null) return null;
    long k = q.size(1);
    long n = q.size(0);
    long[] outShape = Tensors.shape(x);
    outShape[outShape.length - 1] = n;
    Tensor x2 = x.reshape(-1, k).contiguous();
    long m = x2.size(0);
    if (x2.data_ptr().address() % 16 != 0) x2 = x2.clone();
    Tensor s = scales.contiguous();
    Tensor b = bias == null ? null : bias.contiguous();
    Tensor y = x2.new_empty(new long[] {m, n});
    int r = 0;
    while (r < ROWS.length - 1 && ROWS[r] < m) r++;
    int rows = ROWS[r];
    CUfunc_st f = functions[typeIndex(x)][r];
    try (PointerScope scope = new PointerScope()) {
      PointerPointer<Pointer> args =
          new PointerPointer<>(
              new LongPointer(1).put(x2.data_ptr().address()),
              new LongPointer(1).put(q.data_ptr().address()),
              new LongPointer(1).put(s.data_ptr().address()),
              new LongPointer(1).put(b == null ? 0L : b.data_ptr().address()),
              new LongPointer(1).put(y.data_ptr().address()),
              new IntPointer(1).put((int) m),
              new IntPointer(1).put((int) n),
              new IntPointer(1).put((int) k));
      int err =
          cudart.cuLaunchKernel(
              f,
              (int) ((n + WARPS - 1) / WARPS),
              (int) ((m + rows - 1) / rows),
              1,
              32 * WARPS,
              1,
              1,
              0,
              torch_cuda.getCurrentCUDAStream((byte) device).stream(),
              args,
              (PointerPointer) null);
      if (err != 0) throw new IllegalStateException("cuLaunchKernel(" + f + ") failed: " + err);
    }
    return y.view(outShape);
  }

  /** The loaded kernels of {@code device} [type][rows], or null when they cannot be loaded. */
  private static synchronized CUfunc_st[][] functions(int device) {
    if (LOADED.containsKey(device)) return LOADED.get(device);
    if (FAILED.containsKey(device)) return null;
    try {
      var props = torch_cuda.getDeviceProperties((byte) device);
      String ptx = compilePtx(props.major() + "" + props.minor());
      CUmod_st module = new CUmod_st();
      int err = cudart.cuModuleLoadData(module, new BytePointer(ptx));
      if (err != 0) throw new IllegalStateException("cuModuleLoadData failed: error " + err);
      module.retainReference();
      CUfunc_st[][] fs = new CUfunc_st[TYPES.length][ROWS.length];
      for (int t = 0; t < TYPES.length; t++) {
        for (int r = 0; r < ROWS.length; r++) {
          fs[t][r] = new CUfunc_st();
          err = cudart.cuModuleGetFunction(fs[t][r], module, entry(t, r));
          if (err != 0)
            throw new IllegalStateException(
                "cuModuleGetFunction(" + entry(t, r) + ") failed: error " + err);
          fs[t][r].retainReference();
        }
      }
      LOADED.put(device, fs);
      return fs;
    } catch (RuntimeException | LinkageError e) {
      FAILED.put(device, e.getMessage());
      System.err.println(
          "grpo4j: the int8 CUDA kernel is not available on cuda:"
              + device
              + " ("
              + e.getMessage()
              + "); int8 products widen the weights instead");
      return null;
    }
  }
}
