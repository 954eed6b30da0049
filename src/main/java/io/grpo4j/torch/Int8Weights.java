package io.grpo4j.torch;

import org.bytedeco.pytorch.Dispatcher;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.OperatorHandle;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Symmetric int8 weight-only quantization with one scale per output channel (row of a linear
 * weight [out, in]): {@code q = round(W / s)} clamped to [−127, 127], {@code s_o = max_i |W_oi| /
 * 127}, so {@code W ≈ diag(s)·q}.
 *
 * <p>The product {@code x·Wᵀ ≈ (x·qᵀ) ⊙ s} is computed by ATen's {@code _weight_int8pack_mm} on
 * the CPU, a kernel that widens the int8 weights inside the loop instead of materialising a float
 * copy. JavaCPP's generated API does not expose that operator, so it is called through the
 * dispatcher by its schema name. On other devices the weights are widened per call.
 */
public final class Int8Weights {
  private Int8Weights() {}

  /** Quantized weight [out, in] int8 and its per-row scales [out] float32. */
  public record Quantized(Tensor values, Tensor scales) {}

  private static volatile OperatorHandle int8packMm;

  /** Quantizes a 2-D float weight [out, in] row by row. All-zero rows get scale 1 (q = 0). */
  public static Quantized quantize(Tensor weight) {
    if (weight.dim() != 2) throw new IllegalArgumentException("expected a 2-D weight [out, in], got " + weight.dim() + " dimensions");
    Tensor w = weight.detach().to(torch.ScalarType.Float);
    Tensor absMax = w.abs().amax(new long[] {1}, true);
    Tensor scale = absMax.div(new Scalar(127.0));
    scale = torch.where(torch.eq(scale, new Scalar(0.0)), torch.ones_like(scale), scale);
    Tensor q = torch.round(w.div(scale))
        .clamp(new ScalarOptional(new Scalar(-127)), new ScalarOptional(new Scalar(127)))
        .to(torch.ScalarType.Char)
        .contiguous();
    return new Quantized(q, scale.squeeze(1).contiguous());
  }

  /** The float weight the quantized one stands for, diag(s)·q, in {@code dtype}. */
  public static Tensor dequantize(Quantized w, DType dtype) {
    return w.values().to(torch.ScalarType.Float).mul(w.scales().unsqueeze(1)).to(dtype.scalarType);
  }

  /**
   * {@code x·Wᵀ} for x [..., in] with the quantized W; result [..., out] in x's dtype.
   *
   * @param scalesInXType the scales already cast to x's dtype (the kernel requires it)
   */
  public static Tensor matmul(Tensor x, Tensor values, Tensor scalesInXType) {
    long in = x.size(-1);
    long out = values.size(0);
    long[] outShape = Tensors.shape(x);
    outShape[outShape.length - 1] = out;
    Tensor x2 = x.reshape(-1, in).contiguous();
    Tensor y;
    if (x.device().is_cpu()) {
      IValueVector stack = new IValueVector(new IValue(x2), new IValue(values), new IValue(scalesInXType));
      op().callBoxed(stack);
      y = stack.get(0).toTensor();
    } else {
      y = torch.linear(x2, values.to(x.scalar_type())).mul(scalesInXType);
    }
    return y.view(outShape);
  }

  private static OperatorHandle op() {
    OperatorHandle h = int8packMm;
    if (h == null) {
      synchronized (Int8Weights.class) {
        if (int8packMm == null) {
          // a process-wide handle: retained, so that no PointerScope open at first use frees it
          OperatorHandle found = Dispatcher.singleton().findSchemaOrThrow("aten::_weight_int8pack_mm", "");
          found.retainReference();
          int8packMm = found;
        }
        h = int8packMm;
      }
    }
    return h;
  }
}
