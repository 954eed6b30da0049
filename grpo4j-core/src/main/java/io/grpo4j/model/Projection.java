package io.grpo4j.model;

import io.grpo4j.torch.DType;
import io.grpo4j.torch.Int8Weights;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * One linear map {@code y = x·Wᵀ (+ b)} of a decoder layer. Its forms: the float weights the model
 * trains ({@link Dense}), an int8 weight-only copy for serving ({@link Int8}), either of them with
 * a LoRA adapter ({@link Lora}) or with several adapters picked per row ({@link Routed}), so the
 * forward pass is written once for all.
 */
sealed interface Projection {
  Tensor apply(Tensor x);

  /** Bytes held by this projection's tensors. */
  long bytes();

  /** Float weight [out, in] and optional bias [out] (null when the layer has none). */
  record Dense(Tensor weight, Tensor bias) implements Projection {
    @Override
    public Tensor apply(Tensor x) {
      return bias == null
          ? torch.linear(x, weight)
          : torch.linear(x, weight, new TensorOptional(bias));
    }

    @Override
    public long bytes() {
      return nbytes(weight) + (bias == null ? 0 : nbytes(bias));
    }

    /**
     * Per-output-channel int8 copy of the weight, with {@code bias} (a float copy of ours, or
     * null).
     */
    Int8 quantized(Tensor bias) {
      Int8Weights.Quantized q = Int8Weights.quantize(weight);
      return new Int8(q.values(), q.scales().to(weight.scalar_type()).contiguous(), bias);
    }
  }

  /** int8 weight [out, in], per-row scales [out] (in the activations' dtype) and optional bias. */
  record Int8(Tensor values, Tensor scales, Tensor bias) implements Projection {
    @Override
    public Tensor apply(Tensor x) {
      return Int8Weights.linear(x, values, scales, bias);
    }

    @Override
    public long bytes() {
      return nbytes(values) + nbytes(scales) + (bias == null ? 0 : nbytes(bias));
    }
  }

  /**
   * A frozen projection with a LoRA adapter: {@code base(x) + s·(dropout(x)·Aᵀ)·Bᵀ}, A [r, in], B
   * [out, r] ({@link LoraConfig}). The adapter's matrices are cast to the activations' dtype on the
   * way in (a no-op in f32), so their gradients arrive in their own dtype (f32) while the product
   * runs in the base's; {@code dropout} is null outside training.
   */
  record Lora(Projection base, Tensor a, Tensor b, double scale, Dropout dropout)
      implements Projection {
    @Override
    public Tensor apply(Tensor x) {
      return base.apply(x).add(delta(x, a, b, scale, dropout));
    }

    @Override
    public long bytes() {
      return base.bytes() + nbytes(a) + nbytes(b);
    }
  }

  /** s·(dropout(x)·Aᵀ)·Bᵀ, in x's dtype. */
  static Tensor delta(Tensor x, Tensor a, Tensor b, double scale, Dropout dropout) {
    torch.ScalarType t = x.scalar_type();
    Tensor in = dropout == null ? x : dropout.apply(x);
    Tensor down = torch.linear(in, sameType(a, t)).mul(new Scalar(scale)); // [.., r]
    return torch.linear(down, sameType(b, t));
  }

  private static Tensor sameType(Tensor w, torch.ScalarType t) {
    return DType.same(w.scalar_type(), t) ? w : w.to(t);
  }

  /**
   * LoRA's dropout on the adapter path of one projection: each input element is zeroed with
   * probability p and the rest scaled by 1/(1 − p). The mask is a function of (seed, projection,
   * input shape) only — drawn on the CPU from a generator seeded with them — so a layer recomputed
   * during the backward pass (gradient checkpointing) draws the mask its forward pass drew, and a
   * resumed run the one the uninterrupted run drew.
   *
   * @param slot which projection of the model (layer · 7 + module index)
   */
  record Dropout(double p, long seed, int slot) {
    Tensor apply(Tensor x) {
      long s = mix(mix(mix(seed, slot), x.size(0)), x.dim() > 1 ? x.size(1) : 0);
      Tensor keep =
          torch
              .rand(
                  io.grpo4j.torch.Tensors.shape(x),
                  new GeneratorOptional(torch.createCPUGenerator(s)),
                  io.grpo4j.torch.Tensors.options(DType.F32))
              .ge(new Scalar(p))
              .to(x.device(), x.scalar_type());
      return x.mul(keep).mul(new Scalar(1.0 / (1.0 - p)));
    }

    /** SplitMix64's finaliser over (a, b): decorrelated seeds from structured inputs. */
    static long mix(long a, long b) {
      long z = a * 0x9E3779B97F4A7C15L + b + 0x632BE59BD9B4E019L;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      return z ^ (z >>> 31);
    }
  }

  /**
   * One base projection shared by rows that use different adapters (serving several adapters on one
   * base): {@code y = base(x)}, then for each route the rows it names get their adapter's {@code
   * s·(x·Aᵀ)·Bᵀ} added. Rows in no route see the base alone. Inference only.
   */
  record Routed(Projection base, java.util.List<Route> routes) implements Projection {
    @Override
    public Tensor apply(Tensor x) {
      Tensor y = base.apply(x);
      for (Route r : routes) {
        Tensor part = delta(x.index_select(0, r.rows()), r.a(), r.b(), r.scale(), null);
        y = y.index_add(0, r.rows(), part);
      }
      return y;
    }

    @Override
    public long bytes() {
      long n = base.bytes();
      for (Route r : routes) n += nbytes(r.a()) + nbytes(r.b());
      return n;
    }
  }

  /** Rows [k] int64 of a batch that take adapter (A, B, s). */
  record Route(Tensor rows, Tensor a, Tensor b, double scale) {}

  /**
   * Several projections of the same input whose weights are stored as one matrix (q, k, v; gate,
   * up): {@code [y₁ | y₂ | …] = x·[W₁; W₂; …]ᵀ (+ [b₁ | b₂ | …])}, one product instead of several.
   * {@code fused} holds the concatenated weights (for {@link Dense}: the same memory as the parts,
   * so an optimizer step on a part is seen by the fused product at once).
   *
   * <p>While autograd records and a part's weight requires a gradient, the parts are applied one by
   * one: the gradient must reach the parts, which are the parameters (and keep their HF names).
   * Otherwise (rollouts, serving, the frozen reference model) the fused product runs and its output
   * is split into views. {@code Qwen2ModelTest} checks that both give the same outputs.
   */
  record Group(Projection fused, Projection[] parts, long[] sizes) {
    Tensor[] apply(Tensor x) {
      Tensor[] out = new Tensor[parts.length];
      if (GradMode.is_enabled() && anyTrainable()) {
        for (int i = 0; i < parts.length; i++) out[i] = parts[i].apply(x);
        return out;
      }
      Tensor y = fused.apply(x);
      long at = 0;
      for (int i = 0; i < parts.length; i++) {
        out[i] = onBase(parts[i], y.narrow(-1, at, sizes[i]), x);
        at += sizes[i];
      }
      return out;
    }

    /**
     * The same fused weights with {@code wrapped} as the parts: each a part of this group or a
     * {@link Lora}/{@link Routed} around one, whose adapter term is added to its slice of the fused
     * base product.
     */
    Group withParts(Projection... wrapped) {
      return new Group(fused, wrapped, sizes);
    }

    private boolean anyTrainable() {
      for (Projection p : parts)
        if (p instanceof Dense d && d.weight().requires_grad()) return true;
      return false;
    }
  }

  /**
   * {@code p}'s output given its base projection's output {@code y} on {@code x}: y itself for a
   * plain projection, y plus the adapter term for {@link Lora} and {@link Routed}.
   */
  static Tensor onBase(Projection p, Tensor y, Tensor x) {
    if (p instanceof Lora l) return y.add(delta(x, l.a(), l.b(), l.scale(), l.dropout()));
    if (p instanceof Routed r) {
      for (Route route : r.routes()) {
        Tensor part =
            delta(x.index_select(0, route.rows()), route.a(), route.b(), route.scale(), null);
        y = y.index_add(0, route.rows(), part);
      }
    }
    return y;
  }

  static long nbytes(Tensor t) {
    return t.numel() * t.element_size();
  }
}
