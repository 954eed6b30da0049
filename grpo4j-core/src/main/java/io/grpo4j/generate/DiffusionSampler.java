package io.grpo4j.generate;

import io.grpo4j.model.MaskedDiffusionModel;
import io.grpo4j.torch.Ops;
import io.grpo4j.torch.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Batched generation with a masked-diffusion model: a completion of L positions starts all [MASK],
 * and T denoising steps fill it. At step s = 1..T, with m_s positions still masked, the model
 * predicts every masked position at once from the current state z_{s−1}; a token is drawn at each
 * of them from softmax(logits/τ) (arg-max when τ = 0), and
 *
 * <pre>n_s = ⌈m_s / (T − s + 1)⌉</pre>
 *
 * of them are committed — kept for good — while the others return to [MASK] (so T = L commits one
 * token per step, and the last step commits all that remain). Which ones:
 *
 * <ul>
 *   <li>{@link Order#RANDOM}: n_s masked positions chosen uniformly at random, independently of the
 *       model. The order is then policy-independent and the trajectory likelihood is exact: log
 *       π(τ) = Σ_s Σ_{k committed at s} log p_θ(y_k | x, z_{s−1}) (the order's own probability does
 *       not depend on θ). RL samples this way.
 *   <li>{@link Order#LOW_CONFIDENCE}: the n_s positions whose drawn token is most probable (LLaDA's
 *       "low-confidence remasking": the least confident are masked again). With τ = 0 this is the
 *       greedy-equivalent decoder used for evaluation.
 * </ul>
 *
 * Every random number (the Gumbel noise that draws tokens, the uniform scores that order positions)
 * comes from one CPU generator seeded with {@link Params#seed}, drawn in a fixed amount per step,
 * so a seed gives the same order whatever the model. No KV cache: attention is bidirectional, so
 * every step recomputes the whole row.
 */
public final class DiffusionSampler {
  /** Which masked positions a denoising step commits. */
  public enum Order {
    RANDOM,
    LOW_CONFIDENCE;

    /** The config spelling: {@code random} or {@code low_confidence}. */
    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Parses the config spelling; errors name {@code key}. */
    public static Order parse(String key, String text) {
      for (Order o : values()) {
        if (text != null && o.configName().equals(text.trim().toLowerCase(Locale.ROOT))) return o;
      }
      throw new IllegalArgumentException(
          key + ": unknown value '" + text + "', expected one of random, low_confidence");
    }
  }

  /**
   * @param genLength L, generated positions per completion
   * @param steps T denoising steps, 1 ≤ T ≤ L
   * @param order which positions a step commits
   * @param temperature τ ≥ 0; 0 draws the arg-max
   * @param seed seeds every random number of the call
   * @param recordDecodes keep each step's full decode ({@link DiffusionSample#decodes})
   */
  public record Params(
      int genLength, int steps, Order order, double temperature, long seed, boolean recordDecodes) {
    public Params {
      if (genLength < 1) throw new IllegalArgumentException("gen length must be >= 1");
      if (steps < 1 || steps > genLength)
        throw new IllegalArgumentException(
            "denoising steps must be in [1, gen length = " + genLength + "], got " + steps);
      if (order == null) throw new IllegalArgumentException("order must be set");
      if (!(temperature >= 0) || Double.isInfinite(temperature))
        throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
    }
  }

  private final MaskedDiffusionModel model;

  public DiffusionSampler(MaskedDiffusionModel model) {
    this.model = model;
  }

  /** n_s = ⌈m / (T − s + 1)⌉: positions committed at step s (1..T) with m still masked. */
  public static int commits(int masked, int step, int steps) {
    int left = steps - step + 1;
    return (masked + left - 1) / left;
  }

  /**
   * {@code n} completions of every prompt, in prompt order (rows p·n … p·n+n−1 answer prompt p).
   */
  public DiffusionRollout generate(List<int[]> prompts, int n, Params p) {
    long t0 = System.nanoTime();
    int b = prompts.size() * n;
    int len = p.genLength();
    int width = 0;
    long promptTokens = 0;
    for (int[] q : prompts) {
      width = Math.max(width, q.length);
      promptTokens += (long) q.length * n;
    }
    int s = width + len;
    int mask = model.maskTokenId();
    long[][] ids = new long[b][s];
    long[][] valid = new long[b][s];
    for (int r = 0; r < b; r++) {
      int[] q = prompts.get(r / n);
      int pad = width - q.length;
      for (int i = 0; i < q.length; i++) {
        ids[r][pad + i] = q[i];
        valid[r][pad + i] = 1;
      }
      for (int k = 0; k < len; k++) {
        ids[r][width + k] = mask;
        valid[r][width + k] = 1;
      }
    }
    int[][] tokens = new int[b][len];
    int[][] commitStep = new int[b][len];
    float[][] logprobs = new float[b][len];
    float[][] entropies = new float[b][len];
    int[][][] decodes = p.recordDecodes() ? new int[b][p.steps() + 1][] : null;
    Device device = model.device();
    Generator gen = torch.createCPUGenerator(p.seed());
    int vocab = model.config().backbone().vocabSize();
    try (NoGradGuard ng = new NoGradGuard()) {
      Tensor validT = Tensors.longs(valid).to(device, torch.ScalarType.Bool);
      int masked = len;
      for (int step = 1; step <= p.steps(); step++) {
        int k = commits(masked, step, p.steps());
        try (PointerScope scope = new PointerScope()) {
          Tensor idT = Tensors.longs(ids).to(device, torch.ScalarType.Long);
          Tensor logits =
              model.logits(idT, validT, width, len).to(torch.ScalarType.Float); // [B, L, V]
          // every random number of the step, drawn whatever the model says (fixed count per step)
          Tensor uniform =
              torch.rand(new long[] {b, len, vocab}, new GeneratorOptional(gen), floats());
          Tensor order = torch.rand(new long[] {b, len}, new GeneratorOptional(gen), floats());
          Tensor z = p.temperature() > 0 ? logits.div(new Scalar(p.temperature())) : logits;
          Tensor logq = z.log_softmax(-1);
          Tensor chosen =
              p.temperature() > 0
                  ? argmax(
                      z.sub(
                          uniform
                              .to(device, torch.ScalarType.Float)
                              .log()
                              .neg()
                              .log())) // Gumbel-max: a draw
                  : argmax(logits);
          Tensor lp = logq.gather(-1, chosen.unsqueeze(-1)).squeeze(-1); // [B, L]
          Tensor h = Ops.sum(logq.exp().mul(logq), false, -1).neg();
          Tensor score =
              p.order() == Order.RANDOM
                  ? order.to(device, torch.ScalarType.Float)
                  : lp.to(torch.ScalarType.Float);
          long[][] committed = new long[b][len];
          for (int r = 0; r < b; r++)
            for (int c = 0; c < len; c++) committed[r][c] = commitStep[r][c] > 0 ? 1 : 0;
          Tensor done = Tensors.longs(committed).to(device, torch.ScalarType.Bool);
          score = score.masked_fill(done, new Scalar(Double.NEGATIVE_INFINITY));
          long[] pick = Tensors.toLongs(torch.topk(score, k, -1, true, true).get1()); // [B·k]
          long[] drawn = Tensors.toLongs(chosen);
          float[] lps = Tensors.toFloats(lp);
          float[] hs = Tensors.toFloats(h);
          long[] best = p.recordDecodes() ? Tensors.toLongs(argmax(logits)) : null;
          if (p.recordDecodes() && step == 1) {
            for (int r = 0; r < b; r++) decodes[r][0] = decode(tokens[r], commitStep[r], best, r);
          }
          for (int r = 0; r < b; r++) {
            for (int j = 0; j < k; j++) {
              int c = (int) pick[r * k + j];
              int at = r * len + c;
              tokens[r][c] = (int) drawn[at];
              commitStep[r][c] = step;
              logprobs[r][c] = lps[at];
              entropies[r][c] = hs[at];
              ids[r][width + c] = drawn[at];
            }
            if (p.recordDecodes()) decodes[r][step] = decode(tokens[r], commitStep[r], best, r);
          }
        }
        masked -= k;
      }
    }
    List<DiffusionSample> out = new ArrayList<>(b);
    for (int r = 0; r < b; r++) {
      out.add(
          new DiffusionSample(
              r / n,
              prompts.get(r / n).clone(),
              tokens[r],
              commitStep[r],
              logprobs[r],
              entropies[r],
              decodes == null ? null : decodes[r]));
    }
    return new DiffusionRollout(out, p.steps(), promptTokens, (System.nanoTime() - t0) / 1e9);
  }

  /** The committed tokens, and the arg-max prediction {@code best} where still masked. */
  private static int[] decode(int[] tokens, int[] commitStep, long[] best, int row) {
    int len = tokens.length;
    int[] d = new int[len];
    for (int c = 0; c < len; c++) d[c] = commitStep[c] > 0 ? tokens[c] : (int) best[row * len + c];
    return d;
  }

  private static Tensor argmax(Tensor z) {
    return torch.argmax(z, new LongOptional(-1), false);
  }

  private static org.bytedeco.pytorch.TensorOptions floats() {
    return io.grpo4j.torch.Tensors.options(io.grpo4j.torch.DType.F32);
  }
}
