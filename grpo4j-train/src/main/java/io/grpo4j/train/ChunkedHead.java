package io.grpo4j.train;

import io.grpo4j.model.Qwen2Model;
import io.grpo4j.rl.KlPenalty;
import io.grpo4j.rl.TokenLogProbs;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Ops;
import io.grpo4j.torch.Scopes;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * The per-token quantities of the RL loss — log π_θ(a_t) and the KL terms to π_ref — computed from
 * final hidden states without ever holding the [B, T, V] logits (Qwen's V is 151,936: 32 rows × 512
 * tokens of f32 logits are 10 GB). Only the masked-in (real completion) positions are computed,
 * {@code chunk} of them at a time, so the loss's peak memory is O(chunk × V):
 *
 * <ol>
 *   <li>forward, without autograd: per chunk, logits = hidden·Wlmᵀ and the {@code rl} formulas
 *       ({@link TokenLogProbs}, {@link KlPenalty}) on that chunk; the results, [B, T] each, are
 *       leaves that require grad — build the loss from {@link #terms()} and call its {@code
 *       backward};
 *   <li>{@link #backward()}: per chunk, recompute the same terms with autograd and back-propagate
 *       the gradients the loss left on the leaves (one more lm_head product per chunk, the price of
 *       never storing the logits), then pass the gradient w.r.t. the hidden states on.
 * </ol>
 *
 * The result equals the unchunked computation (the tests compare values and gradients).
 */
final class ChunkedHead {
  /**
   * Per-token terms [B, T] (0 at masked-out positions).
   *
   * @param kl null without a reference model
   * @param refLogProbs log π_ref(a_t) at the same temperature as {@code logProbs} (A*-PO's
   *     log-ratio); null unless asked for
   */
  record Terms(Tensor logProbs, KlPenalty.Terms kl, Tensor refLogProbs) {}

  private final Qwen2Model policy;
  private final Qwen2Model reference;
  private final KlPenalty kl;
  private final int chunk;
  private final double temperature;
  private final boolean withRefLogProbs;
  private final Tensor hidden;
  private final Tensor refHidden;
  private final Tensor ids;
  private final List<Tensor> leaves = new ArrayList<>();
  private final Terms terms;
  private final long count;

  /** float32, or float64 when the model computes in float64 (tests). */
  private final torch.ScalarType termType;

  /**
   * π_ref's side of the KL terms.
   *
   * @param model π_ref
   * @param hidden its hidden states [B, T, H] at the policy's positions (no gradient)
   * @param kl the KL penalty whose per-token terms are computed
   */
  record Reference(Qwen2Model model, Tensor hidden, KlPenalty kl) {}

  /**
   * log π_θ(a_t) only, no KL terms ({@link Terms#kl()} null).
   *
   * @param hidden policy hidden states [B, T, H], position t predicting {@code tokenIds[t]}; its
   *     graph receives the gradient in {@link #backward()}
   * @param mask [B, T], positions with mask > 0 are computed
   * @param temperature τ: log π_θ(a_t) is taken of softmax(z/τ), the distribution rollouts sample
   *     at temperature τ (1 = the model's own)
   */
  static ChunkedHead logProbs(
      Qwen2Model policy,
      Tensor hidden,
      Tensor tokenIds,
      Tensor mask,
      int chunk,
      double temperature) {
    return new ChunkedHead(policy, hidden, tokenIds, mask, chunk, temperature, null, false);
  }

  /**
   * log π_θ(a_t) and the KL terms to {@code reference}, which always use the logits z themselves
   * (not z/τ); the rest as in {@link #logProbs}.
   */
  static ChunkedHead withKl(
      Qwen2Model policy,
      Tensor hidden,
      Tensor tokenIds,
      Tensor mask,
      int chunk,
      double temperature,
      Reference reference) {
    if (reference == null) throw new IllegalArgumentException("withKl needs a reference");
    return new ChunkedHead(policy, hidden, tokenIds, mask, chunk, temperature, reference, false);
  }

  /**
   * As {@link #withKl}, and also log π_ref(a_t) at temperature τ ({@link Terms#refLogProbs}), a
   * constant of the loss (A*-PO's log-ratio).
   */
  static ChunkedHead withKlAndRefLogProbs(
      Qwen2Model policy,
      Tensor hidden,
      Tensor tokenIds,
      Tensor mask,
      int chunk,
      double temperature,
      Reference reference) {
    if (reference == null) throw new IllegalArgumentException("log π_ref needs a reference");
    return new ChunkedHead(policy, hidden, tokenIds, mask, chunk, temperature, reference, true);
  }

  private ChunkedHead(
      Qwen2Model policy,
      Tensor hidden,
      Tensor tokenIds,
      Tensor mask,
      int chunk,
      double temperature,
      Reference ref,
      boolean withRefLogProbs) {
    if (chunk < 1) throw new IllegalArgumentException("logits chunk must be >= 1, got " + chunk);
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be finite and > 0, got " + temperature);
    }
    Qwen2Model reference = ref == null ? null : ref.model();
    Tensor refHidden = ref == null ? null : ref.hidden();
    KlPenalty kl = ref == null ? null : ref.kl();
    if (ref != null && (reference == null || refHidden == null || kl == null)) {
      throw new IllegalArgumentException("reference, its hidden states and kl must all be given");
    }
    this.withRefLogProbs = withRefLogProbs;
    this.policy = policy;
    this.reference = reference;
    this.kl = kl;
    this.chunk = chunk;
    this.temperature = temperature;
    long b = tokenIds.size(0);
    long t = tokenIds.size(1);
    long h = hidden.size(2);
    this.termType = DType.computeFloat(hidden.scalar_type());
    Tensor index = torch.nonzero(mask.reshape(-1).gt(new Scalar(0))).reshape(-1);
    this.count = index.size(0);
    this.hidden = hidden.reshape(b * t, h).index_select(0, index);
    this.ids = tokenIds.reshape(-1).index_select(0, index).to(torch.ScalarType.Long);
    Tensor refSel = null;
    if (refHidden != null) {
      try (NoGradGuard ng = new NoGradGuard()) {
        refSel = refHidden.reshape(b * t, h).index_select(0, index);
      }
    }
    this.refHidden = refSel;

    Tensor[] selected = new Tensor[termCount()];
    for (int i = 0; i < selected.length; i++)
      selected[i] = torch.empty(new long[] {count}, termOptions(hidden), null);
    try (NoGradGuard ng = new NoGradGuard()) {
      for (long from = 0; from < count; from += chunk) {
        long n = Math.min(chunk, count - from);
        try (PointerScope scope = new PointerScope()) {
          Tensor[] values = chunkTerms(this.hidden.narrow(0, from, n), from, n);
          for (int i = 0; i < values.length; i++) selected[i].narrow(0, from, n).copy_(values[i]);
        }
      }
    }
    Tensor[] full = new Tensor[selected.length];
    for (int i = 0; i < selected.length; i++) {
      Tensor leaf = selected[i].requires_grad_(true);
      leaves.add(leaf);
      full[i] =
          torch
              .zeros(new long[] {b * t}, termOptions(hidden))
              .index_copy(0, index, leaf)
              .reshape(b, t);
    }
    KlPenalty.Terms klTerms = reference != null ? new KlPenalty.Terms(full[1], full[2]) : null;
    this.terms = new Terms(full[0], klTerms, withRefLogProbs ? full[3].detach() : null);
  }

  Terms terms() {
    return terms;
  }

  /**
   * Back-propagates the gradients the loss left on {@link #terms()} into the hidden states' graph.
   */
  void backward() {
    if (count == 0) return;
    Tensor[] grads = new Tensor[leaves.size()];
    boolean any = false;
    for (int i = 0; i < grads.length; i++) {
      Tensor g = leaves.get(i).grad();
      grads[i] = g.defined() ? g : null;
      any |= grads[i] != null;
    }
    if (!any) return;
    List<Tensor> hiddenGrads = new ArrayList<>();
    for (long from = 0; from < count; from += chunk) {
      long n = Math.min(chunk, count - from);
      long start = from;
      hiddenGrads.add(
          Scopes.keepOnly(
              () -> {
                Tensor x;
                try (NoGradGuard ng = new NoGradGuard()) {
                  x = hidden.narrow(0, start, n).detach();
                }
                x.requires_grad_(true);
                Tensor[] values = chunkTerms(x, start, n);
                Tensor surrogate = null;
                for (int i = 0; i < values.length; i++) {
                  if (grads[i] == null) continue;
                  Tensor s = values[i].mul(grads[i].narrow(0, start, n)).sum();
                  surrogate = surrogate == null ? s : surrogate.add(s);
                }
                Ops.backward(surrogate, new Tensor());
                return new Tensor(x.grad());
              }));
    }
    Tensor g =
        hiddenGrads.size() == 1
            ? hiddenGrads.get(0)
            : torch.cat(new TensorVector(hiddenGrads.toArray(new Tensor[0])), 0);
    Ops.backward(hidden, g);
  }

  private org.bytedeco.pytorch.TensorOptions termOptions(Tensor like) {
    return new org.bytedeco.pytorch.TensorOptions()
        .dtype(new org.bytedeco.pytorch.ScalarTypeOptional(termType))
        .device(new org.bytedeco.pytorch.DeviceOptional(like.device()));
  }

  private int termCount() {
    return 1 + (reference != null ? 2 : 0) + (withRefLogProbs ? 1 : 0);
  }

  /**
   * The terms of positions [from, from + n) of the selection, from policy hidden states {@code x}
   * [n, H]; each [n].
   */
  private Tensor[] chunkTerms(Tensor x, long from, long n) {
    Tensor z = policy.logits(x).unsqueeze(0); // [1, n, V]
    Tensor tok = ids.narrow(0, from, n).unsqueeze(0);
    Tensor[] out = new Tensor[termCount()];
    Tensor zTau = temperature == 1.0 ? z : z.div(new Scalar(temperature)); // [1, n, V]
    out[0] = TokenLogProbs.of(zTau, tok).reshape(-1);
    if (reference != null) {
      Tensor zRef;
      try (NoGradGuard ng = new NoGradGuard()) {
        zRef = reference.logits(refHidden.narrow(0, from, n)).unsqueeze(0);
      }
      KlPenalty.Terms t = kl.terms(z, zRef, tok);
      out[1] = t.forward().reshape(-1);
      out[2] = t.reverse().reshape(-1);
      if (withRefLogProbs) {
        try (NoGradGuard ng = new NoGradGuard()) {
          Tensor zRefTau = temperature == 1.0 ? zRef : zRef.div(new Scalar(temperature));
          out[3] = TokenLogProbs.of(zRefTau, tok).reshape(-1);
        }
      }
    }
    for (int i = 0; i < out.length; i++) out[i] = out[i].to(termType);
    return out;
  }
}
