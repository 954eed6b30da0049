package io.grpo4j.dist;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Data-parallel gradient exchange in buckets, as PyTorch's DDP does: consecutive parameters of one
 * dtype and device are packed until a bucket holds {@code bucketBytes}; each bucket's gradients are
 * flattened into one buffer, reduced with <em>one</em> all-reduce, and copied back. After {@link
 * #allReduce} every rank holds, for every parameter p,
 *
 * <pre>g_p ← Σ_{ranks r} g_p^{(r)}</pre>
 *
 * A sum, not a mean: the trainers normalise their losses by the <em>global</em> token or sequence
 * count, so the sum over ranks is exactly the gradient of one process on the concatenated batch. A
 * parameter without a gradient on this rank contributes zeros (and receives the others' sum).
 *
 * <p>Every rank must build its buckets from the same parameter list; {@link #allReduce} checks the
 * layout on its first call.
 */
public final class GradientBuckets {
  private final List<Tensor> params;
  private final List<int[]> buckets; // [from, to) index ranges into params
  private boolean checked;

  /**
   * Plans buckets over {@code params} (in order) of at most {@code bucketBytes} each; a parameter
   * larger than that gets a bucket of its own.
   */
  public GradientBuckets(List<Tensor> params, long bucketBytes) {
    if (bucketBytes <= 0) throw new IllegalArgumentException("bucket size must be > 0 bytes");
    this.params = List.copyOf(params);
    this.buckets = new ArrayList<>();
    int from = 0;
    long bytes = 0;
    for (int i = 0; i < this.params.size(); i++) {
      Tensor p = this.params.get(i);
      long b = p.numel() * p.element_size();
      boolean sameKind =
          i == from
              || (p.scalar_type() == this.params.get(from).scalar_type()
                  && p.device()
                      .str()
                      .getString()
                      .equals(this.params.get(from).device().str().getString()));
      if (i > from && (!sameKind || bytes + b > bucketBytes)) {
        buckets.add(new int[] {from, i});
        from = i;
        bytes = 0;
      }
      bytes += b;
    }
    if (from < this.params.size()) buckets.add(new int[] {from, this.params.size()});
  }

  /** How many all-reduces one {@link #allReduce} makes. */
  public int bucketCount() {
    return buckets.size();
  }

  /** Sums every parameter's gradient over the ranks of {@code group} (in place). */
  public void allReduce(DistGroup group) {
    if (group.worldSize() == 1) return;
    if (!checked) {
      requireSameLayout(group, "the trainable parameters (count, elements, buckets)");
      checked = true;
    }
    for (int[] bucket : buckets) {
      try (PointerScope scope = new PointerScope();
          NoGradGuard guard = new NoGradGuard()) {
        TensorVector grads = new TensorVector();
        for (int i = bucket[0]; i < bucket[1]; i++) grads.push_back(gradOf(params.get(i)));
        Tensor flat = torch.flatten_dense_tensors(grads);
        group.allReduceSum(flat);
        TensorVector reduced = torch.unflatten_dense_tensors(flat, grads);
        for (int i = 0; i < grads.size(); i++) grads.get(i).copy_(reduced.get(i));
      }
    }
  }

  /**
   * Copies rank {@code root}'s values of {@code tensors} to every rank (in place, bucketed), so all
   * ranks start from the same weights.
   */
  public void broadcast(DistGroup group, int root) {
    if (group.worldSize() == 1) return;
    requireSameLayout(group, "the parameters to broadcast (count, elements, buckets)");
    for (int[] bucket : buckets) {
      try (PointerScope scope = new PointerScope();
          NoGradGuard guard = new NoGradGuard()) {
        TensorVector values = new TensorVector();
        for (int i = bucket[0]; i < bucket[1]; i++) values.push_back(params.get(i));
        Tensor flat = torch.flatten_dense_tensors(values);
        group.broadcast(flat, root);
        TensorVector got = torch.unflatten_dense_tensors(flat, values);
        for (int i = 0; i < values.size(); i++) values.get(i).copy_(got.get(i));
      }
    }
  }

  private void requireSameLayout(DistGroup group, String what) {
    long elements = 0;
    for (Tensor p : params) elements += p.numel();
    group.requireSame(what, params.size(), elements, buckets.size());
  }

  /** The gradient of {@code p}; a zero one is attached first when backward never reached p. */
  private static Tensor gradOf(Tensor p) {
    Tensor g = p.grad();
    if (!g.defined()) {
      p.mutable_grad().put(torch.zeros_like(p));
      g = p.grad();
    }
    return g;
  }
}
