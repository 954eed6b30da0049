package io.grpo4j.model;

import io.grpo4j.torch.DType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Small random models for tests. */
public final class MicroModels {
  private MicroModels() {}

  public static Qwen2Config config(int layers) {
    return new Qwen2Config(
        50, 32, 64, layers, 4, 2, 8, 128, 10000.0, 1e-6, true, 0.02, null, List.of(49), "float32");
  }

  /** Random weights with larger spread than the HF init so outputs are not nearly uniform. */
  public static Qwen2Model random(Qwen2Config c, long seed) {
    Qwen2Model m = Qwen2Model.initialize(c, seed, DType.F32, new Device("cpu"));
    torch.manual_seed(seed + 1);
    for (var e : m.parameters().entrySet()) {
      Tensor t = e.getValue();
      t.add_(
          torch.randn(io.grpo4j.torch.Tensors.shape(t)).mul(new org.bytedeco.pytorch.Scalar(0.2)));
    }
    return m;
  }

  /** The [MASK] id of {@link #diffusion}: a real id of the 50-id micro vocabulary. */
  public static final int MICRO_MASK = 48;

  /** A micro masked-diffusion model: {@link #random} weights of {@code config(layers)}, mask 48. */
  public static MaskedDiffusionModel diffusion(int layers, long seed) {
    Qwen2Config c = config(layers);
    return new MaskedDiffusionModel(new DiffusionConfig(c, MICRO_MASK), random(c, seed));
  }

  /** Logits [B, T, V] of left-padded rows {@code ids} with validity {@code valid} [B, T] bool. */
  public static Tensor logits(Qwen2Model m, Tensor ids, Tensor valid) {
    return m.logits(
        m.hidden(ids, AttentionMask.positions(valid), AttentionMask.of(valid, ids.size(1)), null));
  }

  /** The same weights in float64 (DType has no F64 on purpose: checkpoints never use it). */
  public static Qwen2Model toDouble(Qwen2Model m) {
    SequencedMap<String, Tensor> p = new LinkedHashMap<>();
    for (var e : m.parameters().entrySet())
      p.put(e.getKey(), e.getValue().detach().to(torch.ScalarType.Double).clone());
    return new Qwen2Model(m.config(), p);
  }
}
