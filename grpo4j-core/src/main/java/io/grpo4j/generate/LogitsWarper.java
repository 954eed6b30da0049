package io.grpo4j.generate;

import io.grpo4j.torch.DType;
import io.grpo4j.torch.Tensors;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The temperature → top-k → top-p chain applied to logits before a token is drawn: z ← z / T; keep
 * the k largest; keep the smallest most-likely set whose probability reaches p. Removed tokens get
 * −∞. Each stage is skipped when off (T = 1, k = 0 or k ≥ samplable vocabulary, p = 1).
 */
public final class LogitsWarper {
  private LogitsWarper() {}

  /**
   * @param z logits [rows, V], already masked to the samplable vocabulary
   * @param samplable the samplable vocabulary size (top-k at or above it is off)
   */
  public static Tensor warp(Tensor z, SamplingParams p, int samplable) {
    if (p.temperature() != 1.0) z = z.div(new Scalar(p.temperature()));
    if (p.topK() > 0 && p.topK() < samplable) z = topK(z, p.topK());
    if (p.topP() < 1.0) z = topP(z, p.topP());
    return z;
  }

  /** Keeps the k largest logits of each row (ties with the k-th are kept). */
  static Tensor topK(Tensor z, int k) {
    T_TensorTensor_T top = torch.topk(z, k, -1, true, true);
    Tensor kth = top.get0().narrow(1, k - 1, 1);
    return z.masked_fill(torch.lt(z, kth), new Scalar(Float.NEGATIVE_INFINITY));
  }

  /** Nucleus filter: drop a token when the tokens more likely than it already reach p. */
  static Tensor topP(Tensor z, double p) {
    T_TensorTensor_T sorted = torch.sort(z, -1, true);
    Tensor values = sorted.get0();
    Tensor probs = torch.softmax(values, -1);
    Tensor before = torch.cumsum(probs, -1).sub(probs);
    Tensor filtered =
        values.masked_fill(torch.gt(before, new Scalar(p)), new Scalar(Float.NEGATIVE_INFINITY));
    return torch
        .full(
            Tensors.shape(z),
            new Scalar(Float.NEGATIVE_INFINITY),
            Tensors.options(DType.F32, z.device()))
        .scatter(1, sorted.get1(), filtered);
  }
}
