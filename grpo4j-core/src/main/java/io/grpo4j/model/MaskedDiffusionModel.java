package io.grpo4j.model;

import io.grpo4j.torch.DType;
import io.grpo4j.torch.Tensors;
import java.util.SequencedMap;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A masked-diffusion language model (MDM, as LLaDA): the Qwen2 block stack of {@link Qwen2Model},
 * its weights and forward code reused as they are, run with <em>bidirectional</em> attention over a
 * row in which not-yet-generated positions hold {@code [MASK]}. Position k's logits are the model's
 * distribution for the token at k itself (no shift: an MDM predicts the masked token where it
 * stands, not the next one):
 *
 * <pre>
 *   p_θ(· | x, z) = softmax(logits_k),   logits = Qwen2 blocks(embed(row), bidirectional mask)·Wlmᵀ
 * </pre>
 *
 * with the [MASK] logit held at {@link #NO_MASK}: the model never predicts [MASK] (its probability
 * is 0 in float32), so every sampler, likelihood and KL sees a distribution over real tokens only,
 * and the logits stay finite for the exact KL.
 *
 * <p>A separate type on purpose: it is never a {@link Qwen2Model} to the causal sampler or the
 * autoregressive trainers, and its folders carry {@link DiffusionConfig#MODEL_TYPE}.
 */
public final class MaskedDiffusionModel {
  /**
   * The logit the [MASK] id gets: exp(−1e4 − max) underflows to exactly 0 in float32 and bf16,
   * while the value itself stays finite (−∞ would make the KL's 0·(−∞ + ∞) a NaN).
   */
  public static final double NO_MASK = -1e4;

  private final DiffusionConfig config;
  private final Qwen2Model backbone;
  private final Tensor maskIndex;

  /** Wraps {@code backbone}, whose config must be {@code config.backbone()}. */
  public MaskedDiffusionModel(DiffusionConfig config, Qwen2Model backbone) {
    if (!backbone.config().equals(config.backbone())) {
      throw new IllegalArgumentException(
          "the backbone's config does not match the diffusion config's: "
              + backbone.config()
              + " vs "
              + config.backbone());
    }
    this.config = config;
    this.backbone = backbone;
    this.maskIndex =
        Tensors.longs(config.maskTokenId()).to(backbone.device(), torch.ScalarType.Long);
  }

  /** Fresh weights as {@link Qwen2Model#initialize} draws them (same seed, same weights). */
  public static MaskedDiffusionModel initialize(
      DiffusionConfig c, long seed, DType dtype, Device device) {
    return new MaskedDiffusionModel(c, Qwen2Model.initialize(c.backbone(), seed, dtype, device));
  }

  public DiffusionConfig config() {
    return config;
  }

  /** The shared block stack (its parameters are this model's parameters). */
  public Qwen2Model backbone() {
    return backbone;
  }

  public int maskTokenId() {
    return config.maskTokenId();
  }

  /** Name → tensor in HF order (the backbone's). */
  public SequencedMap<String, Tensor> parameters() {
    return backbone.parameters();
  }

  public DType dtype() {
    return backbone.dtype();
  }

  public Device device() {
    return backbone.device();
  }

  public void setRequiresGrad(boolean on) {
    backbone.setRequiresGrad(on);
  }

  /** A deep copy in another dtype and/or on another device. */
  public MaskedDiffusionModel to(DType dtype, Device device) {
    return new MaskedDiffusionModel(config, backbone.to(dtype, device));
  }

  /**
   * Logits [B, len, V] of positions {@code from .. from + len − 1} of left-padded rows, computed
   * with every real token of a row visible to every position.
   *
   * @param ids [B, S] int64, [MASK] where a position is still to be generated
   * @param valid [B, S] bool, false on left padding
   */
  public Tensor logits(Tensor ids, Tensor valid, long from, long len) {
    Tensor hidden =
        backbone.hidden(
            ids, AttentionMask.positions(valid), AttentionMask.bidirectional(valid), null);
    Tensor logits = backbone.logits(hidden.narrow(1, from, len));
    return logits.index_fill(-1, maskIndex, new Scalar(NO_MASK));
  }

  /** {@link #logits(Tensor, Tensor, long, long)} of every position. */
  public Tensor logits(Tensor ids, Tensor valid) {
    return logits(ids, valid, 0, ids.size(1));
  }
}
