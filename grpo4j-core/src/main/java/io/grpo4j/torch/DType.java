package io.grpo4j.torch;

import java.util.Locale;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The element types grpo4j reads, writes and computes in. The names are those of the safetensors
 * header ({@code F32}, {@code BF16}, ...); {@link #parse} also accepts the config spellings ({@code
 * f32}, {@code bfloat16}, {@code float32}, ...).
 */
public enum DType {
  F32(4, ScalarType.Float),
  BF16(2, ScalarType.BFloat16),
  F16(2, ScalarType.Half),
  I64(8, ScalarType.Long);

  /** Bytes per element. */
  public final int size;

  public final ScalarType scalarType;

  DType(int size, ScalarType scalarType) {
    this.size = size;
    this.scalarType = scalarType;
  }

  /** Parses safetensors, torch and short names; throws naming the accepted spellings. */
  public static DType parse(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    return switch (n) {
      case "f32", "float32", "float", "fp32" -> F32;
      case "bf16", "bfloat16" -> BF16;
      case "f16", "float16", "half", "fp16" -> F16;
      case "i64", "int64", "long" -> I64;
      default ->
          throw new IllegalArgumentException(
              "unknown dtype '"
                  + name
                  + "': expected one of f32, bf16, f16 (or F32/BF16/F16/I64, float32, bfloat16, float16)");
    };
  }

  /**
   * A compute dtype as configured ({@code model.dtype}): {@link #parse}, or for {@code auto} bf16
   * where the hardware has bf16 units and f32 elsewhere: on CUDA a GPU of compute capability ≥ 8.0,
   * on a CPU AMX or AVX-512 BF16 ({@link CpuFeatures}, from {@code /proc/cpuinfo}). The f32 master
   * weights of training are kept either way.
   *
   * @param device {@code cpu}, {@code cuda} or {@code cuda:N}
   */
  public static DType resolve(String name, String device) {
    if (!name.trim().equalsIgnoreCase("auto")) return parse(name);
    if (device.trim().toLowerCase(Locale.ROOT).startsWith("cuda")) {
      Cuda.Status s = Cuda.status();
      int index =
          device.contains(":")
              ? Integer.parseInt(device.substring(device.indexOf(':') + 1).trim())
              : 0;
      return s.available() && s.gpus().size() > index && s.gpus().get(index).bf16() ? BF16 : F32;
    }
    return CpuFeatures.detect().bf16Units() ? BF16 : F32;
  }

  /**
   * The dtype of a libtorch scalar type, or an error naming it. JavaCPP hands back a fresh enum
   * instance from native calls such as {@code Tensor.scalar_type()} ({@code ==} against {@code
   * ScalarType.Float} is false), so this compares the native value.
   */
  public static DType of(ScalarType t) {
    for (DType d : values()) {
      if (same(d.scalarType, t)) return d;
    }
    throw new IllegalArgumentException(
        "unsupported tensor dtype " + t + ": grpo4j handles F32, BF16, F16, I64");
  }

  /**
   * Whether two libtorch scalar types are the same type. JavaCPP hands back a fresh enum instance
   * from native calls such as {@code Tensor.scalar_type()}, so {@code ==} against {@code
   * ScalarType.Float} is false even for a float tensor: compare dtypes only through this.
   */
  public static boolean same(ScalarType a, ScalarType b) {
    return a.value == b.value;
  }

  /**
   * The floating type to compute softmax statistics, norms and loss terms in: float64 stays float64
   * (tests check gradients in it), everything else (bf16/f16/f32) computes in float32 —
   * log-probabilities in bf16 are only good to ~0.05 nats.
   */
  public static ScalarType computeFloat(ScalarType t) {
    return same(t, ScalarType.Double) ? ScalarType.Double : ScalarType.Float;
  }

  /** The name used by HF's config.json {@code torch_dtype}. */
  public String torchName() {
    return switch (this) {
      case F32 -> "float32";
      case BF16 -> "bfloat16";
      case F16 -> "float16";
      case I64 -> "int64";
    };
  }

  public boolean isFloatingPoint() {
    return this != I64;
  }
}
