package io.grpo4j.train;

import io.grpo4j.eval.ScoredSample;
import io.grpo4j.generate.Sample;
import io.grpo4j.torch.Tensors;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The tensors of one batch of scored rollouts, B rows of [left-padded prompt | completion |
 * right padding], prompt width Lp and completion width T:
 *
 * <ul>
 *   <li>{@code ids} [B, Lp+T] int64 and {@code valid} [B, Lp+T] bool (real tokens);
 *   <li>{@code completion} [B, T] int64 sampled ids and {@code mask} [B, T] float (1 = real);
 *   <li>{@code oldLogProbs}, {@code entropy}, {@code pref} [B, T] float: log π_old at sampling,
 *       entropy of the sampling distribution, and the verifier's token rewards pref_t.
 * </ul>
 *
 * The logits that predict completion token t sit at sequence position Lp − 1 + t.
 */
record RolloutBatch(
    int rows, int promptWidth, int width, Tensor ids, Tensor valid, Tensor completion, Tensor mask, Tensor oldLogProbs,
    Tensor entropy, Tensor pref) {

  static RolloutBatch of(List<ScoredSample> scored, Device device) {
    int b = scored.size();
    int lp = 0;
    int t = 1;
    for (ScoredSample s : scored) {
      lp = Math.max(lp, s.sample().promptIds().length);
      t = Math.max(t, s.sample().length());
    }
    long[][] ids = new long[b][lp + t];
    long[][] valid = new long[b][lp + t];
    long[][] comp = new long[b][t];
    float[] mask = new float[b * t];
    float[] old = new float[b * t];
    float[] ent = new float[b * t];
    float[] pref = new float[b * t];
    for (int r = 0; r < b; r++) {
      Sample s = scored.get(r).sample();
      int[] p = s.promptIds();
      int pad = lp - p.length;
      for (int i = 0; i < p.length; i++) {
        ids[r][pad + i] = p[i];
        valid[r][pad + i] = 1;
      }
      for (int i = 0; i < s.length(); i++) {
        ids[r][lp + i] = s.completionIds()[i];
        valid[r][lp + i] = 1;
        comp[r][i] = s.completionIds()[i];
        mask[r * t + i] = 1f;
        old[r * t + i] = s.logprobs()[i];
        ent[r * t + i] = s.entropies()[i];
        pref[r * t + i] = (float) scored.get(r).tokenRewards()[i];
      }
    }
    return new RolloutBatch(b, lp, t,
        Tensors.longs(ids).to(device, torch.ScalarType.Long),
        Tensors.longs(valid).to(device, torch.ScalarType.Bool),
        Tensors.longs(comp).to(device, torch.ScalarType.Long),
        floats(mask, b, t, device), floats(old, b, t, device), floats(ent, b, t, device), floats(pref, b, t, device));
  }

  private static Tensor floats(float[] v, int b, int t, Device device) {
    return Tensors.floats(v).reshape(b, t).to(device, torch.ScalarType.Float);
  }

  /** Logits [n, T, V] under {@code m} that predict the completion tokens of rows [from, from + n). */
  Tensor completionLogits(io.grpo4j.model.Qwen2Model m, int from, int n) {
    Tensor rowsIds = rows(ids, from, n);
    Tensor rowsValid = rows(valid, from, n);
    Tensor hidden = m.hidden(rowsIds, io.grpo4j.model.AttentionMask.positions(rowsValid),
        io.grpo4j.model.AttentionMask.of(rowsValid, rowsIds.size(1)), null);
    return m.logits(hidden.narrow(1, promptWidth - 1, width));
  }

  /** Rows [from, from + n) of a per-row tensor. */
  static Tensor rows(Tensor x, long from, long n) {
    return x.narrow(0, from, n);
  }
}
