package io.grpo4j.train;

import io.grpo4j.rl.Advantages;
import io.grpo4j.rl.Segments;
import io.grpo4j.torch.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The credit modes' view of a batch of multi-turn episodes: each row's model tokens, in order and
 * left-aligned, without the observations between its turns. Advantages are computed on this view
 * and put back at the tokens' positions, so every mode treats an episode as the sequence of the
 * model's own decisions: {@code sequence} and {@code token_relative} give the same numbers either
 * way, {@code prefix} compares rows token by token along their model tokens (observations follow
 * from the turns before them), {@code return_to_go} aligns its per-position baselines on the k-th
 * model token of each row. Observation tokens get advantage 0.
 *
 * <p>A batch without observations (every single-turn rollout) is its own view: the advantages are
 * computed exactly as before, on the batch's own tensors.
 */
final class ModelTokens {
  private final Tensor index; // [B, T'] position of the k-th model token of each row; 0 on padding
  private final Tensor mask; // [B, T'] 1 on the k-th model token, 0 on padding

  private ModelTokens(Tensor index, Tensor mask) {
    this.index = index;
    this.mask = mask;
  }

  /**
   * @param mask [B, T] float, 1 on model tokens
   * @param valid [B, T] bool, true on every real token after the prompt (model and observations)
   * @return null-free view; {@link #identity()} when there are no observations
   */
  static ModelTokens of(Tensor mask, Tensor valid) {
    float[] m = Tensors.toFloats(mask.contiguous());
    boolean[] v = toBooleans(valid);
    int b = (int) mask.size(0), t = (int) mask.size(1);
    boolean observations = false;
    int widest = 1;
    for (int r = 0; r < b; r++) {
      int n = 0;
      for (int i = 0; i < t; i++) {
        if (m[r * t + i] > 0.5f) n++;
        else if (v[r * t + i]) observations = true;
      }
      widest = Math.max(widest, n);
    }
    if (!observations) return new ModelTokens(null, null);
    long[] idx = new long[b * widest];
    float[] keep = new float[b * widest];
    for (int r = 0; r < b; r++) {
      int k = 0;
      for (int i = 0; i < t; i++) {
        if (m[r * t + i] > 0.5f) {
          idx[r * widest + k] = i;
          keep[r * widest + k] = 1f;
          k++;
        }
      }
    }
    return new ModelTokens(
        Tensors.longs(idx).reshape(b, widest).to(mask.device(), torch.ScalarType.Long),
        Tensors.floats(keep).reshape(b, widest).to(mask.device(), torch.ScalarType.Float));
  }

  private static boolean[] toBooleans(Tensor valid) {
    long[] l = Tensors.toLongs(valid.to(torch.ScalarType.Long).contiguous());
    boolean[] out = new boolean[l.length];
    for (int i = 0; i < l.length; i++) out[i] = l[i] != 0;
    return out;
  }

  /** True when the batch has no observation tokens: the view is the batch itself. */
  boolean identity() {
    return index == null;
  }

  /**
   * The advantages of {@code batch} with token rewards {@code r} [B, T], computed on the model
   * tokens and placed back; 0 on observations and padding.
   *
   * @param segments the tree / Monte-Carlo cuts, or null; only a batch without observations may
   *     have them (the config refuses {@code tree} and {@code mc_prefix} with {@code env:})
   * @param success [B] per-row success for the validator fallback, or null
   */
  Advantages.Result advantages(
      Advantages a,
      Tensor r,
      RolloutBatch batch,
      int groupSize,
      Segments segments,
      Tensor success) {
    if (identity()) {
      return a.compute(
          r, batch.mask(), batch.completion(), batch.entropy(), groupSize, segments, success);
    }
    if (segments != null) {
      throw new IllegalStateException(
          "segment credit (rl.advantage.mode tree / mc_prefix) does not apply to episodes");
    }
    Advantages.Result c =
        a.compute(
            compress(r),
            mask,
            torch.gather(batch.completion(), 1, index),
            compress(batch.entropy()),
            groupSize,
            null,
            success);
    return new Advantages.Result(expand(c.advantages(), r), c.tokenMean(), c.tokenAbsMean());
  }

  /** A per-token tensor [B, T] as the view [B, T'] (0 on padding). */
  Tensor compress(Tensor x) {
    return identity() ? x : torch.gather(x, 1, index).mul(mask);
  }

  /** A view tensor [B, T'] back at the model tokens' positions of {@code like} [B, T]. */
  Tensor expand(Tensor view, Tensor like) {
    if (identity()) return view;
    return torch.zeros_like(like).scatter_add_(1, index, view.mul(mask).to(like.scalar_type()));
  }
}
