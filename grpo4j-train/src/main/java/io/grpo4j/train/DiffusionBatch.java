package io.grpo4j.train;

import io.grpo4j.generate.DiffusionSample;
import io.grpo4j.torch.Tensors;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The rows of a masked-diffusion GRPO step as the loss needs them: each row is [left-padded prompt
 * | L generated positions], and the trajectory that generated it (each position's commit step) lets
 * any denoising state be rebuilt: {@link #stateIds}(s) is the batch as it stood before step s.
 */
final class DiffusionBatch {
  final int rows;
  final int width; // prompt columns; the L generated positions follow
  final int len;
  final int maskId;
  private final long[][] prompt; // [rows][width], left-padded
  private final long[][] promptValid;
  private final int[][] tokens;
  private final int[][] commitStep;
  private final float[][] oldLogProbs;
  private final Device device;

  private DiffusionBatch(List<DiffusionSample> samples, int maskId, Device device) {
    this.rows = samples.size();
    int w = 0;
    for (DiffusionSample s : samples) w = Math.max(w, s.promptIds().length);
    this.width = w;
    this.len = samples.get(0).length();
    this.maskId = maskId;
    this.device = device;
    prompt = new long[rows][width];
    promptValid = new long[rows][width];
    tokens = new int[rows][];
    commitStep = new int[rows][];
    oldLogProbs = new float[rows][];
    for (int r = 0; r < rows; r++) {
      DiffusionSample s = samples.get(r);
      int[] p = s.promptIds();
      for (int i = 0; i < p.length; i++) {
        prompt[r][width - p.length + i] = p[i];
        promptValid[r][width - p.length + i] = 1;
      }
      tokens[r] = s.tokens();
      commitStep[r] = s.commitStep();
      oldLogProbs[r] = s.logprobs();
    }
  }

  static DiffusionBatch of(List<DiffusionSample> samples, int maskId, Device device) {
    if (samples.isEmpty()) throw new IllegalArgumentException("a batch needs at least one row");
    return new DiffusionBatch(samples, maskId, device);
  }

  /** [rows, width + L] bool: the real prompt tokens and every generated position. */
  Tensor valid() {
    long[][] v = new long[rows][width + len];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(promptValid[r], 0, v[r], 0, width);
      for (int k = 0; k < len; k++) v[r][width + k] = 1;
    }
    return Tensors.longs(v).to(device, torch.ScalarType.Bool);
  }

  /** [rows, width + L] int64: the prompt, then z_{step−1} (committed before step, else [MASK]). */
  Tensor stateIds(int step) {
    long[][] ids = new long[rows][width + len];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(prompt[r], 0, ids[r], 0, width);
      for (int k = 0; k < len; k++)
        ids[r][width + k] = commitStep[r][k] < step ? tokens[r][k] : maskId;
    }
    return Tensors.longs(ids).to(device, torch.ScalarType.Long);
  }

  /**
   * E1's input: every generated position [MASK], and each prompt token masked with probability
   * {@code p} (independently, from {@code gen}).
   */
  Tensor oneStepIds(double p, Generator gen) {
    long[][] ids = new long[rows][width + len];
    double[] u =
        Tensors.toDoubles(
            torch.rand(
                new long[] {rows, width},
                new GeneratorOptional(gen),
                Tensors.options(io.grpo4j.torch.DType.F32)));
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < width; i++)
        ids[r][i] = promptValid[r][i] == 1 && u[r * width + i] < p ? maskId : prompt[r][i];
      for (int k = 0; k < len; k++) ids[r][width + k] = maskId;
    }
    return Tensors.longs(ids).to(device, torch.ScalarType.Long);
  }

  /** [rows, L] int64, the generated tokens. */
  Tensor tokens() {
    return longs(tokens);
  }

  /** [rows, L] int64, each position's commit step 1..T. */
  Tensor commitSteps() {
    return longs(commitStep);
  }

  /** [rows, L] float32, 1 where the position was committed at {@code step}. */
  Tensor stepMask(int step) {
    return commitSteps().eq(new Scalar(step)).to(torch.ScalarType.Float);
  }

  /** [rows, L] float32 ones: every generated position is an action of the policy. */
  Tensor mask() {
    return torch
        .ones(new long[] {rows, len}, Tensors.options(io.grpo4j.torch.DType.F32))
        .to(device, torch.ScalarType.Float);
  }

  /** [rows, L] float32, the sampler's log-probs: π_old at each position's commit state. */
  Tensor oldLogProbs() {
    float[] flat = new float[rows * len];
    for (int r = 0; r < rows; r++) System.arraycopy(oldLogProbs[r], 0, flat, r * len, len);
    return Tensors.floats(flat).reshape(rows, len).to(device, torch.ScalarType.Float);
  }

  private Tensor longs(int[][] x) {
    long[][] v = new long[rows][len];
    for (int r = 0; r < rows; r++) for (int k = 0; k < len; k++) v[r][k] = x[r][k];
    return Tensors.longs(v).to(device, torch.ScalarType.Long);
  }
}
