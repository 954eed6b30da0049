package io.grpo4j.train;

import io.grpo4j.config.TrainOptions;
import io.grpo4j.eval.ScoredSample;
import io.grpo4j.generate.Sample;
import io.grpo4j.model.AttentionMask;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.model.TrainingForward;
import io.grpo4j.rl.KlPenalty;
import io.grpo4j.torch.Tensors;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The tensors of one batch of scored rollouts, B rows of [left-padded prompt | completion | right
 * padding], prompt width Lp and completion width T:
 *
 * <ul>
 *   <li>{@code ids} [B, Lp+T] int64 and {@code valid} [B, Lp+T] bool (real tokens);
 *   <li>{@code completion} [B, T] int64 sampled ids and {@code mask} [B, T] float (1 = a token the
 *       model sampled; 0 on padding and on an episode's observation tokens, which stay in {@code
 *       valid} as context but get no loss, advantage, KL or entropy term);
 *   <li>{@code oldLogProbs}, {@code entropy}, {@code prefixReward} [B, T] float: log π_old at
 *       sampling, entropy of the sampling distribution, and the verifier's token rewards pref_t.
 * </ul>
 *
 * The logits that predict completion token t sit at sequence position Lp − 1 + t. {@code promptOf}
 * [B] says which prompt each row continues (rows of one GRPO group share it).
 */
public record RolloutBatch(
    int rows,
    int promptWidth,
    int width,
    Tensor ids,
    Tensor valid,
    Tensor completion,
    Tensor mask,
    Tensor oldLogProbs,
    Tensor entropy,
    Tensor prefixReward,
    int[] promptOf) {

  public static RolloutBatch of(List<ScoredSample> scored, Device device) {
    int b = scored.size();
    int lp = 0;
    int t = 1;
    for (ScoredSample s : scored) {
      lp = Math.max(lp, s.sample().promptIds().length);
      t = Math.max(t, s.sample().length());
    }
    int[] promptOf = new int[b];
    long[][] ids = new long[b][lp + t];
    long[][] valid = new long[b][lp + t];
    long[][] comp = new long[b][t];
    float[] mask = new float[b * t];
    float[] old = new float[b * t];
    float[] ent = new float[b * t];
    float[] prefix = new float[b * t];
    for (int r = 0; r < b; r++) {
      Sample s = scored.get(r).sample();
      int[] p = s.promptIds();
      promptOf[r] = s.promptIndex();
      int pad = lp - p.length;
      for (int i = 0; i < p.length; i++) {
        ids[r][pad + i] = p[i];
        valid[r][pad + i] = 1;
      }
      for (int i = 0; i < s.length(); i++) {
        ids[r][lp + i] = s.completionIds()[i];
        valid[r][lp + i] = 1;
        comp[r][i] = s.completionIds()[i];
        // an episode's observations stay in the context (valid) but out of the loss (mask 0)
        mask[r * t + i] = s.isModelToken(i) ? 1f : 0f;
        old[r * t + i] = s.logprobs()[i];
        ent[r * t + i] = s.entropies()[i];
        prefix[r * t + i] = (float) scored.get(r).tokenRewards()[i];
      }
    }
    return new RolloutBatch(
        b,
        lp,
        t,
        Tensors.longs(ids).to(device, torch.ScalarType.Long),
        Tensors.longs(valid).to(device, torch.ScalarType.Bool),
        Tensors.longs(comp).to(device, torch.ScalarType.Long),
        floats(mask, b, t, device),
        floats(old, b, t, device),
        floats(ent, b, t, device),
        floats(prefix, b, t, device),
        promptOf);
  }

  /** The view of this batch's model tokens that the credit modes see ({@link ModelTokens}). */
  ModelTokens modelTokens() {
    return ModelTokens.of(mask, valid.narrow(1, promptWidth, width));
  }

  private static Tensor floats(float[] v, int b, int t, Device device) {
    return Tensors.floats(v).reshape(b, t).to(device, torch.ScalarType.Float);
  }

  /**
   * Hidden states [B, T, H] under {@code m} that predict the completion tokens of all rows; with
   * {@code sharePrompt} each distinct prompt is computed once ({@link
   * Qwen2Model#sharedPromptHidden}).
   */
  Tensor completionHidden(Qwen2Model m, boolean sharePrompt) {
    if (sharePrompt && sharesPrompts()) {
      Shared sh = shared();
      return m.sharedPromptHidden(
          sh.promptIds(), sh.promptValid(), sh.promptOfRow(), completion, valid);
    }
    return completionHidden(m, ids, valid);
  }

  /**
   * A training pass of {@code m} over all rows up to the loss terms of the completion tokens (see
   * {@link TrainingPass}). Prompts are shared when {@code options} asks for it, rows share prompts
   * and layers are not checkpointed (checkpointing recomputes whole rows; the two do not combine).
   *
   * @param reference π_ref for the KL terms (its hidden states computed without gradient), or null
   *     for log-probs only
   * @param kl the KL penalty (unused without a reference)
   */
  TrainingPass trainingPass(
      Qwen2Model m, TrainOptions options, Qwen2Model reference, KlPenalty kl, double temperature) {
    return trainingPass(m, options, reference, kl, temperature, false);
  }

  /** As above; {@code withRefLogProbs} (needs a reference) also computes log π_ref(a_t) (A*-PO). */
  TrainingPass trainingPass(
      Qwen2Model m,
      TrainOptions options,
      Qwen2Model reference,
      KlPenalty kl,
      double temperature,
      boolean withRefLogProbs) {
    TrainingForward forward;
    Tensor hidden;
    if (options.sharePrompt() && !options.gradientCheckpointing() && sharesPrompts()) {
      Shared sh = shared();
      forward =
          m.sharedPromptTrainingForward(
              sh.promptIds(), sh.promptValid(), sh.promptOfRow(), completion, valid);
      hidden = forward.hidden();
    } else {
      forward = trainingForward(m, options.gradientCheckpointing());
      hidden = completionPart(forward.hidden());
    }
    int chunk = options.logitsChunk();
    if (reference == null) {
      return new TrainingPass(
          forward, ChunkedHead.logProbs(m, hidden, completion, mask, chunk, temperature));
    }
    Tensor refHidden;
    try (NoGradGuard ng = new NoGradGuard()) {
      refHidden = completionHidden(reference, options.sharePrompt());
    }
    ChunkedHead.Reference ref = new ChunkedHead.Reference(reference, refHidden, kl);
    return new TrainingPass(
        forward,
        withRefLogProbs
            ? ChunkedHead.withKlAndRefLogProbs(m, hidden, completion, mask, chunk, temperature, ref)
            : ChunkedHead.withKl(m, hidden, completion, mask, chunk, temperature, ref));
  }

  /** True when fewer distinct prompts than rows: computing each prompt once saves work. */
  boolean sharesPrompts() {
    return distinctPrompts() < rows;
  }

  /** How many different prompts the rows continue. */
  int distinctPrompts() {
    return (int) java.util.Arrays.stream(promptOf).distinct().count();
  }

  /**
   * The distinct prompts of this batch (in order of first appearance) and each row's index among
   * them.
   */
  private record Shared(Tensor promptIds, Tensor promptValid, Tensor promptOfRow) {}

  private Shared shared() {
    java.util.Map<Integer, Integer> slot = new java.util.LinkedHashMap<>();
    long[] firstRow = new long[rows];
    long[] slotOfRow = new long[rows];
    for (int r = 0; r < rows; r++) {
      int next = slot.size();
      Integer s = slot.putIfAbsent(promptOf[r], next);
      if (s == null) {
        firstRow[next] = r;
        s = next;
      }
      slotOfRow[r] = s;
    }
    Tensor first =
        Tensors.longs(java.util.Arrays.copyOf(firstRow, slot.size()))
            .to(ids.device(), torch.ScalarType.Long);
    return new Shared(
        ids.index_select(0, first).narrow(1, 0, promptWidth),
        valid.index_select(0, first).narrow(1, 0, promptWidth),
        Tensors.longs(slotOfRow).to(ids.device(), torch.ScalarType.Long));
  }

  /**
   * Logits [n, T, V] under {@code m} that predict the completion tokens of rows [from, from + n).
   */
  Tensor completionLogits(Qwen2Model m, int from, int n) {
    return m.logits(completionHidden(m, rows(ids, from, n), rows(valid, from, n)));
  }

  /**
   * Hidden states [n, T, H] under {@code m} at the positions that predict the completion tokens of
   * rows {@code ids}.
   */
  Tensor completionHidden(Qwen2Model m, Tensor rowsIds, Tensor rowsValid) {
    Tensor hidden = m.hiddenPadded(rowsIds, rowsValid, null);
    return hidden.narrow(1, promptWidth - 1, width);
  }

  /** A training forward of {@code m} over all rows of this batch (see {@link TrainingForward}). */
  TrainingForward trainingForward(Qwen2Model m, boolean checkpointLayers) {
    return m.trainingForward(
        ids,
        AttentionMask.positions(valid),
        AttentionMask.of(valid, ids.size(1)),
        checkpointLayers);
  }

  /**
   * The part [n, T, H] of full-sequence hidden states [n, Lp+T, H] that predicts the completion
   * tokens.
   */
  Tensor completionPart(Tensor hidden) {
    return hidden.narrow(1, promptWidth - 1, width);
  }

  /**
   * Real (non-padding) tokens of {@code [ids | completion]}, per row: prompt length + completion
   * length.
   */
  int[] rowLengths() {
    long[] v = countAlong(valid, 1);
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) out[i] = (int) v[i];
    return out;
  }

  /** The true entries of the bool {@code mask} along {@code dim}, counted as int64. */
  private static long[] countAlong(Tensor mask, long dim) {
    return Tensors.toLongs(
        mask.sum(
            new long[] {dim},
            false,
            new org.bytedeco.pytorch.ScalarTypeOptional(torch.ScalarType.Long)));
  }

  /**
   * Rows {@code index} of this batch (in that order), trimmed to the columns they use: the prompt
   * padding common to all of them is cut on the left and the completion padding common to all of
   * them on the right. Length-sorted micro-batches thus compute (almost) no padding.
   */
  RolloutBatch select(int[] index) {
    Tensor idx =
        Tensors.longs(java.util.Arrays.stream(index).asLongStream().toArray())
            .to(ids.device(), torch.ScalarType.Long);
    Tensor v = valid.index_select(0, idx);
    long[] perColumn = countAlong(v, 0);
    int firstPrompt = 0;
    while (firstPrompt < promptWidth - 1 && perColumn[firstPrompt] == 0) firstPrompt++;
    int t = width;
    while (t > 1 && perColumn[promptWidth + t - 1] == 0) t--;
    int lp = promptWidth - firstPrompt;
    return new RolloutBatch(
        index.length,
        lp,
        t,
        ids.index_select(0, idx).narrow(1, firstPrompt, lp + t),
        v.narrow(1, firstPrompt, lp + t),
        cut(completion, idx, t),
        cut(mask, idx, t),
        cut(oldLogProbs, idx, t),
        cut(entropy, idx, t),
        cut(prefixReward, idx, t),
        java.util.Arrays.stream(index).map(i -> promptOf[i]).toArray());
  }

  /** Rows {@code idx} of a per-token tensor [B, T], first {@code t} columns. */
  static Tensor cut(Tensor perToken, Tensor idx, int t) {
    return perToken.index_select(0, idx).narrow(1, 0, t);
  }

  /** Rows [from, from + n) of a per-row tensor. */
  static Tensor rows(Tensor x, long from, long n) {
    return x.narrow(0, from, n);
  }
}
