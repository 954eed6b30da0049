package io.grpo4j.model;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Boolean attention masks for SDPA (true = may attend), shape [B, 1, T, S]: the T queries are the
 * last T of the S key positions. Query i may see key j when j is not after it (causal) and key j is
 * a real token (not padding). A query always sees itself, so padding rows never get an all-false
 * row (which would turn softmax into NaN); their outputs are never read.
 *
 * <p>An explicit mask is used even for decode steps because SDPA's {@code is_causal} is aligned
 * top-left and would be wrong against a KV cache.
 */
public final class AttentionMask {
  private AttentionMask() {}

  /**
   * @param keyValid [B, S] bool, true for real tokens
   * @param queries number of queries T (the last T key positions)
   */
  public static Tensor of(Tensor keyValid, long queries) {
    long s = keyValid.size(1);
    TensorOptions longs =
        new TensorOptions()
            .dtype(new org.bytedeco.pytorch.ScalarTypeOptional(torch.ScalarType.Long))
            .device(new org.bytedeco.pytorch.DeviceOptional(keyValid.device()));
    Tensor queryPos =
        torch
            .arange(
                new org.bytedeco.pytorch.Scalar(s - queries),
                new org.bytedeco.pytorch.Scalar(s),
                longs)
            .unsqueeze(1); // [T,1]
    Tensor keyPos = torch.arange(new org.bytedeco.pytorch.Scalar(s), longs).unsqueeze(0); // [1,S]
    Tensor causal = torch.le(keyPos, queryPos); // [T,S]
    Tensor self = torch.eq(keyPos, queryPos);
    Tensor valid = keyValid.unsqueeze(1).unsqueeze(1); // [B,1,1,S]
    return torch.logical_or(torch.logical_and(causal, valid), self);
  }

  /**
   * The bidirectional mask of a masked-diffusion model, [B, 1, S, S]: every query sees every real
   * key of its row, before or after it (and itself, so a padding row's softmax stays finite).
   *
   * @param keyValid [B, S] bool, true for real tokens
   */
  public static Tensor bidirectional(Tensor keyValid) {
    long s = keyValid.size(1);
    TensorOptions bools =
        new TensorOptions()
            .dtype(new org.bytedeco.pytorch.ScalarTypeOptional(torch.ScalarType.Bool))
            .device(new org.bytedeco.pytorch.DeviceOptional(keyValid.device()));
    Tensor self = torch.eye(s, bools); // [S,S]
    Tensor valid = keyValid.to(torch.ScalarType.Bool).unsqueeze(1).unsqueeze(1); // [B,1,1,S]
    return torch.logical_or(valid, self); // [B,1,S,S]
  }

  /** Position ids [B, S] for left-padded rows: 0 at each row's first real token. */
  public static Tensor positions(Tensor keyValid) {
    Tensor c =
        torch.cumsum(keyValid.to(torch.ScalarType.Long), 1).sub(new org.bytedeco.pytorch.Scalar(1));
    return torch.clamp(
        c, new org.bytedeco.pytorch.ScalarOptional(new org.bytedeco.pytorch.Scalar(0)));
  }
}
