package io.grpo4j.torch;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Symmetric int8 weight-only quantization with one scale per output channel (row of a linear weight
 * [out, in]): {@code q = round(W / s)} clamped to [−127, 127], {@code s_o = max_i |W_oi| / 127}, so
 * {@code W ≈ diag(s)·q}. Activations are never quantized.
 *
 * <p>The product is computed as {@code x·Wᵀ ≈ (x·widen(q)ᵀ) ⊙ s}: one weight is widened to the
 * activations' dtype per call, so at most one layer's matrix exists in float at a time while the
 * model at rest holds one byte per weight. ATen's fused {@code _weight_int8pack_mm} (reachable
 * through the dispatcher) was measured and rejected: on this libtorch build it costs about 0.4 ms
 * per input row for a 768×256 weight (247 ms for a 608-row prefill, against 3.4 ms widened).
 *
 * <p>On CUDA, {@link #linear} reads the int8 weights directly with {@link Int8Kernel} (decode-sized
 * inputs), since widening there reads 1 byte, writes 2 and reads 2 again per weight: more memory
 * traffic than the bf16 weight itself. On a CPU it widens, as before.
 */
public final class Int8Weights {
  private Int8Weights() {}

  /** Quantized weight [out, in] int8 and its per-row scales [out] float32. */
  public record Quantized(Tensor values, Tensor scales) {}

  /** Quantizes a 2-D float weight [out, in] row by row. All-zero rows get scale 1 (q = 0). */
  public static Quantized quantize(Tensor weight) {
    if (weight.dim() != 2)
      throw new IllegalArgumentException(
          "expected a 2-D weight [out, in], got " + weight.dim() + " dimensions");
    Tensor w = weight.detach().to(torch.ScalarType.Float);
    Tensor absMax = w.abs().amax(new long[] {1}, true);
    Tensor scale = absMax.div(new Scalar(127.0));
    scale = torch.where(torch.eq(scale, new Scalar(0.0)), torch.ones_like(scale), scale);
    Tensor q =
        torch
            .round(w.div(scale))
            .clamp(new ScalarOptional(new Scalar(-127)), new ScalarOptional(new Scalar(127)))
            .to(torch.ScalarType.Char)
            .contiguous();
    return new Quantized(q, scale.squeeze(1).contiguous());
  }

  /**
   * {@code x·Wᵀ} for x [..., in] with the quantized W; result [..., out] in x's dtype.
   *
   * @param scalesInXType the scales already cast to x's dtype
   */
  public static Tensor matmul(Tensor x, Tensor values, Tensor scalesInXType) {
    return torch.linear(x, values.to(x.scalar_type())).mul(scalesInXType);
  }

  /**
   * {@code x·Wᵀ + b}: {@link Int8Kernel} where it applies (CUDA, at most {@link
   * Int8Kernel#maxRows()} rows), else {@link #matmul} and the bias added.
   *
   * @param bias [out] in x's dtype, or null
   */
  public static Tensor linear(Tensor x, Tensor values, Tensor scalesInXType, Tensor bias) {
    if (x.is_cuda()) {
      Tensor y = Int8Kernel.linear(x, values, scalesInXType, bias);
      if (y != null) return y;
    }
    Tensor y = matmul(x, values, scalesInXType);
    return bias == null ? y : y.add(bias);
  }
}
