package io.grpo4j.model;

import io.grpo4j.torch.Int8Weights;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * One linear map {@code y = x·Wᵀ (+ b)} of a decoder layer. Two forms: the float weights the model
 * trains ({@link Dense}) and an int8 weight-only copy for serving ({@link Int8}), so the forward
 * pass is written once for both.
 */
sealed interface Projection {
  Tensor apply(Tensor x);

  /** Bytes held by this projection's tensors. */
  long bytes();

  /** Float weight [out, in] and optional bias [out] (null when the layer has none). */
  record Dense(Tensor weight, Tensor bias) implements Projection {
    @Override
    public Tensor apply(Tensor x) {
      return bias == null
          ? torch.linear(x, weight)
          : torch.linear(x, weight, new TensorOptional(bias));
    }

    @Override
    public long bytes() {
      return nbytes(weight) + (bias == null ? 0 : nbytes(bias));
    }

    /**
     * Per-output-channel int8 copy of the weight, with {@code bias} (a float copy of ours, or
     * null).
     */
    Int8 quantized(Tensor bias) {
      Int8Weights.Quantized q = Int8Weights.quantize(weight);
      return new Int8(q.values(), q.scales().to(weight.scalar_type()).contiguous(), bias);
    }
  }

  /** int8 weight [out, in], per-row scales [out] (in the activations' dtype) and optional bias. */
  record Int8(Tensor values, Tensor scales, Tensor bias) implements Projection {
    @Override
    public Tensor apply(Tensor x) {
      Tensor y = Int8Weights.matmul(x, values, scales);
      return bias == null ? y : y.add(bias);
    }

    @Override
    public long bytes() {
      return nbytes(values) + nbytes(scales) + (bias == null ? 0 : nbytes(bias));
    }
  }

  static long nbytes(Tensor t) {
    return t.numel() * t.element_size();
  }
}
