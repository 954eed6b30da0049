package io.grpo4j.train;

import io.grpo4j.model.MaskedDiffusionModel;
import io.grpo4j.rl.KlPenalty;
import io.grpo4j.rl.Masked;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Tensors;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A fixed probe set of partially masked states on which a masked-diffusion policy's drift from its
 * start model is measured, the same for every arm, seed and step: the reference answers of the
 * first {@code diffusion.probe_problems} held-out problems (end-of-text padded to L), each masked
 * at the rates {@link #RATES} with a fixed seed. The probe KL is the exact per-position
 *
 * <pre>KL(π_θ‖π_ref) = Σ_v p_θ(v|state) · (log p_θ(v|state) − log p_ref(v|state))</pre>
 *
 * (and the reverse), averaged over the masked positions of all probe states — a yardstick that,
 * unlike the training KL, does not depend on which states the estimator under test visits.
 */
final class DiffusionProbe {
  /** The masking rates of each probe answer. */
  static final double[] RATES = {0.25, 0.5, 0.75, 1.0};

  private final Tensor ids; // [R, width + L]
  private final Tensor valid;
  private final Tensor masked; // [R, L] float
  private final int width;
  private final int len;
  private Tensor refLogits; // computed once: the reference is frozen

  private DiffusionProbe(Tensor ids, Tensor valid, Tensor masked, int width, int len) {
    this.ids = ids;
    this.valid = valid;
    this.masked = masked;
    this.width = width;
    this.len = len;
  }

  /**
   * @param prompts prompt ids of the probe problems
   * @param answers their reference answers, end-of-text padded to L
   * @param seed the masks' seed
   */
  static DiffusionProbe of(
      List<int[]> prompts, List<int[]> answers, int maskId, long seed, Device device) {
    int len = answers.get(0).length;
    int width = 0;
    for (int[] p : prompts) width = Math.max(width, p.length);
    int rows = prompts.size() * RATES.length;
    long[][] idv = new long[rows][width + len];
    long[][] validv = new long[rows][width + len];
    float[] maskv = new float[rows * len];
    Generator gen = torch.createCPUGenerator(seed);
    float[] u =
        Tensors.toFloats(
            torch.rand(
                new long[] {rows, len}, new GeneratorOptional(gen), Tensors.options(DType.F32)));
    for (int j = 0; j < prompts.size(); j++) {
      int[] p = prompts.get(j);
      int[] a = answers.get(j);
      for (int q = 0; q < RATES.length; q++) {
        int r = j * RATES.length + q;
        for (int i = 0; i < p.length; i++) {
          idv[r][width - p.length + i] = p[i];
          validv[r][width - p.length + i] = 1;
        }
        int lowest = 0;
        boolean any = false;
        for (int k = 0; k < len; k++) {
          validv[r][width + k] = 1;
          boolean m = u[r * len + k] < RATES[q];
          if (u[r * len + k] < u[r * len + lowest]) lowest = k;
          any |= m;
          maskv[r * len + k] = m ? 1f : 0f;
          idv[r][width + k] = m ? maskId : a[k];
        }
        if (!any) { // every state has at least one position to predict
          maskv[r * len + lowest] = 1f;
          idv[r][width + lowest] = maskId;
        }
      }
    }
    return new DiffusionProbe(
        Tensors.longs(idv).to(device, torch.ScalarType.Long),
        Tensors.longs(validv).to(device, torch.ScalarType.Bool),
        Tensors.floats(maskv).reshape(rows, len).to(device, torch.ScalarType.Float),
        width,
        len);
  }

  /** Probe states. */
  int size() {
    return (int) ids.size(0);
  }

  /** {KL(π‖π_ref), KL(π_ref‖π)}, mean over the masked probe positions. */
  double[] kl(MaskedDiffusionModel policy, MaskedDiffusionModel reference) {
    try (NoGradGuard ng = new NoGradGuard()) {
      if (refLogits == null) {
        refLogits = reference.logits(ids, valid, width, len).to(torch.ScalarType.Float).clone();
        refLogits.retainReference(); // lives as long as the probe, outside any step's scope
      }
      Tensor logits = policy.logits(ids, valid, width, len).to(torch.ScalarType.Float);
      KlPenalty.Terms t = KlPenalty.exact(logits, refLogits);
      return new double[] {
        Masked.mean(t.forward(), masked).item_double(),
        Masked.mean(t.reverse(), masked).item_double()
      };
    }
  }
}
