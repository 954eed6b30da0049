package io.grpo4j.generate;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Picks one token per row of logits [rows, V]: the arg-max, or a draw from softmax(z). */
public final class CategoricalSampler {
  private CategoricalSampler() {}

  /** The most likely token of each row → [rows]. */
  public static Tensor argmax(Tensor z) {
    return torch.argmax(z, new LongOptional(-1), false);
  }

  /**
   * Draws token ~ softmax(z) per row → [rows]. With a (CPU) generator the draw happens on the CPU;
   * without one it uses the device's global generator (seeded by {@code torch.manual_seed}).
   */
  public static Tensor draw(Tensor z, Generator gen) {
    Tensor probs = torch.softmax(z, -1);
    if (gen == null) return torch.multinomial(probs, 1, false, new GeneratorOptional()).squeeze(1);
    probs = probs.to(new Device("cpu"), torch.ScalarType.Float);
    return torch.multinomial(probs, 1, false, new GeneratorOptional(gen)).squeeze(1);
  }
}
