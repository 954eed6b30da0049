package io.grpo4j.model;

import io.grpo4j.torch.DType;
import io.grpo4j.torch.Scopes;
import io.grpo4j.torch.Tensors;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * The Qwen2 decoder, computed as Hugging Face transformers' {@code Qwen2ForCausalLM} does:
 *
 * <pre>
 *   x = embed(ids)
 *   for each layer:
 *     h = rmsnorm(x);  q, k, v = h·Wqᵀ+bq, h·Wkᵀ+bk, h·Wvᵀ+bv;  q, k = rope(q), rope(k)
 *     x = x + softmax(q·kᵀ/√d + mask)·v · Woᵀ          (grouped-query: kvHeads ≤ heads)
 *     h = rmsnorm(x);  x = x + (silu(h·Wgᵀ) ⊙ h·Wuᵀ)·Wdᵀ
 *   logits = rmsnorm(x) · Wlmᵀ                         (Wlm = embed when tied)
 * </pre>
 *
 * Parameters live in one ordered map under HF's names ({@code
 * model.layers.0.self_attn.q_proj.weight}, ...), so checkpoints round-trip with transformers and
 * vLLM. All parameters share one dtype and device.
 *
 * <p>{@link #quantizedInt8()} gives an inference-only copy whose linear layers hold int8 weights
 * with per-output-channel scales (the same forward pass runs on them through {@link Projection}).
 *
 * <p>{@link #withLora} gives a view with LoRA adapters ({@link LoraAdapters}): every base tensor is
 * shared, each adapted projection adds {@code s·(x·Aᵀ)·Bᵀ}, and {@link #base()} is the same model
 * without them. {@link #merged()} folds the adapters into a plain copy ({@code W + s·B·A}); {@link
 * #routed} serves several adapters on one base in one batch.
 */
public final class Qwen2Model {
  private final Qwen2Config config;
  private final SequencedMap<String, Tensor> params;
  private final Layer[] layers;
  private final Tensor embed;
  private final Tensor finalNorm;
  private final Tensor lmHead;

  /** The int8 copy's LM head on CUDA (see {@link #quantizedInt8()}); null: {@link #lmHead}. */
  private final Projection.Int8 int8Head;

  private final boolean quantized;

  /** The adapters this view adds to {@link #base}, or null for a model without adapters. */
  private final LoraAdapters lora;

  /** The model without adapters whose weights this view shares; {@code this} when not a view. */
  private final Qwen2Model base;

  /**
   * One decoder layer's weights, looked up once so the forward pass reads like the maths. {@code
   * qkv} and {@code gateUp} are q, k, v and gate, up stored as one matrix each ({@link
   * Projection.Group}): the parts are views of it.
   */
  private record Layer(
      Tensor inputNorm,
      Projection q,
      Projection k,
      Projection v,
      Projection o,
      Tensor postNorm,
      Projection gate,
      Projection up,
      Projection down,
      Projection.Group qkv,
      Projection.Group gateUp) {

    /** The same layer with every projection passed through {@code f}(module name, projection). */
    Layer map(java.util.function.BiFunction<String, Projection, Projection> f) {
      return new Layer(
              inputNorm,
              f.apply("q_proj", q),
              f.apply("k_proj", k),
              f.apply("v_proj", v),
              f.apply("o_proj", o),
              postNorm,
              f.apply("gate_proj", gate),
              f.apply("up_proj", up),
              f.apply("down_proj", down),
              qkv,
              gateUp)
          .regrouped(this);
    }

    /**
     * This layer (mapped from {@code from}) with its groups' parts replaced by the mapped ones: a
     * wrapped part (a LoRA adapter, a routed projection) adds its adapter term to its slice of the
     * fused base product ({@link Projection#onBase}).
     */
    private Layer regrouped(Layer from) {
      return new Layer(
          inputNorm,
          q,
          k,
          v,
          o,
          postNorm,
          gate,
          up,
          down,
          qkv == null ? null : qkv.withParts(q, k, v),
          gateUp == null ? null : gateUp.withParts(gate, up));
    }

    /** q, k, v of {@code h}: one product [q | k | v] unless training the parts or wrapped. */
    Tensor[] qkv(Tensor h) {
      return qkv != null ? qkv.apply(h) : new Tensor[] {q.apply(h), k.apply(h), v.apply(h)};
    }

    /** gate, up of {@code h}: one product [gate | up] unless training the parts or wrapped. */
    Tensor[] gateUp(Tensor h) {
      return gateUp != null ? gateUp.apply(h) : new Tensor[] {gate.apply(h), up.apply(h)};
    }

    long bytes() {
      return Projection.nbytes(inputNorm)
          + Projection.nbytes(postNorm)
          + q.bytes()
          + k.bytes()
          + v.bytes()
          + o.bytes()
          + gate.bytes()
          + up.bytes()
          + down.bytes();
    }
  }

  /**
   * Wraps existing tensors; {@code params} must hold exactly {@link #parameterNames}. Each layer's
   * q, k, v weights and biases and its gate, up weights are kept as rows of one tensor per group
   * ({@link #fusedLayout}): tensors already laid out so (from {@link #allocate}) are wrapped as
   * they are, others are copied into such a tensor once, and {@link #parameters()} then returns
   * views of it under the same HF names.
   */
  public Qwen2Model(Qwen2Config config, SequencedMap<String, Tensor> params) {
    this.config = config;
    List<String> expected = parameterNames(config);
    if (!params.keySet().containsAll(expected) || params.size() != expected.size()) {
      throw new IllegalArgumentException(
          "parameters do not match the config: expected "
              + expected.size()
              + " tensors, got "
              + params.size());
    }
    for (String name : expected) {
      long[] want = shapeOf(config, name);
      long[] got = Tensors.shape(params.get(name));
      if (!java.util.Arrays.equals(want, got)) {
        throw new IllegalArgumentException(
            "tensor "
                + name
                + " has shape "
                + java.util.Arrays.toString(got)
                + ", config needs "
                + java.util.Arrays.toString(want));
      }
    }
    this.params = fuse(config, params);
    layers = new Layer[config.numHiddenLayers()];
    for (int l = 0; l < layers.length; l++) {
      String p = "model.layers." + l + ".";
      Projection q = dense(p + "self_attn.q_proj", true);
      Projection k = dense(p + "self_attn.k_proj", true);
      Projection v = dense(p + "self_attn.v_proj", true);
      Projection gate = dense(p + "mlp.gate_proj", false);
      Projection up = dense(p + "mlp.up_proj", false);
      layers[l] =
          new Layer(
              this.params.get(p + "input_layernorm.weight"),
              q,
              k,
              v,
              dense(p + "self_attn.o_proj", false),
              this.params.get(p + "post_attention_layernorm.weight"),
              gate,
              up,
              dense(p + "mlp.down_proj", false),
              denseGroup(q, k, v),
              denseGroup(gate, up));
    }
    embed = params.get("model.embed_tokens.weight");
    finalNorm = params.get("model.norm.weight");
    lmHead = config.tieWordEmbeddings() ? embed : params.get("lm_head.weight");
    int8Head = null;
    quantized = false;
    lora = null;
    base = this;
  }

  /**
   * The int8 serving copy ({@code floatParams} holds every tensor but the projection weights,
   * {@code base} and {@code lora} null; on CUDA {@code int8Head} its int8 LM head), or a view of
   * {@code base} whose layers are {@code layers} (its adapters {@code lora}, or null for a per-row
   * routed view; {@code int8Head} the base's).
   */
  private Qwen2Model(
      Qwen2Config config,
      SequencedMap<String, Tensor> floatParams,
      Layer[] layers,
      boolean quantized,
      Qwen2Model base,
      LoraAdapters lora,
      Projection.Int8 int8Head) {
    this.config = config;
    this.params = floatParams;
    this.layers = layers;
    this.embed = floatParams.get("model.embed_tokens.weight");
    this.finalNorm = floatParams.get("model.norm.weight");
    this.lmHead = config.tieWordEmbeddings() ? embed : floatParams.get("lm_head.weight");
    this.int8Head = int8Head;
    this.quantized = quantized;
    this.base = base == null ? this : base;
    this.lora = lora;
  }

  private Projection dense(String prefix, boolean hasBias) {
    return new Projection.Dense(
        params.get(prefix + ".weight"), hasBias ? params.get(prefix + ".bias") : null);
  }

  /** The projections of layer {@code l} stored as one tensor: {q, k, v} and {gate, up}. */
  static List<List<String>> fusedGroups(int l) {
    String p = "model.layers." + l + ".";
    return List.of(
        List.of(p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj"),
        List.of(p + "mlp.gate_proj", p + "mlp.up_proj"));
  }

  /**
   * Zero parameters laid out as the model keeps them, to be filled in place (e.g. {@code copy_})
   * before {@link #Qwen2Model(Qwen2Config, SequencedMap)} wraps them: each fused group's weights
   * (and biases) are views of one tensor, so no copy is made at construction.
   */
  public static SequencedMap<String, Tensor> allocate(
      Qwen2Config c, org.bytedeco.pytorch.TensorOptions options) {
    SequencedMap<String, Tensor> p = new LinkedHashMap<>();
    for (String name : parameterNames(c)) p.put(name, null);
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      for (List<String> group : fusedGroups(l)) {
        for (String suffix : List.of(".weight", ".bias")) {
          List<String> names = group.stream().map(g -> g + suffix).filter(p::containsKey).toList();
          if (names.isEmpty()) continue;
          long rows = 0;
          for (String n : names) rows += shapeOf(c, n)[0];
          long[] shape = shapeOf(c, names.get(0)).clone();
          shape[0] = rows;
          Tensor fused = torch.zeros(shape, options);
          long at = 0;
          for (String n : names) {
            long r = shapeOf(c, n)[0];
            p.put(n, fused.narrow(0, at, r).detach());
            at += r;
          }
        }
      }
    }
    for (var e : p.entrySet()) {
      if (e.getValue() == null) e.setValue(torch.zeros(shapeOf(c, e.getKey()), options));
    }
    return p;
  }

  /**
   * {@code params} with every fused group's tensors as views of one tensor (see {@link #allocate}):
   * groups already so laid out are kept, others are copied once into a new tensor (keeping {@code
   * requires_grad}).
   */
  private static SequencedMap<String, Tensor> fuse(
      Qwen2Config c, SequencedMap<String, Tensor> params) {
    SequencedMap<String, Tensor> out = new LinkedHashMap<>(params);
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      for (List<String> group : fusedGroups(l)) {
        for (String suffix : List.of(".weight", ".bias")) {
          List<String> names =
              group.stream().map(g -> g + suffix).filter(out::containsKey).toList();
          if (names.isEmpty()) continue;
          Tensor[] parts = names.stream().map(out::get).toArray(Tensor[]::new);
          if (adjacent(parts)) continue;
          boolean trainable = parts[0].requires_grad();
          Tensor fused;
          try (NoGradGuard ng = new NoGradGuard()) {
            TensorVector detached = new TensorVector();
            for (Tensor t : parts) detached.push_back(t.detach());
            fused = torch.cat(detached, 0);
          }
          long at = 0;
          for (int i = 0; i < names.size(); i++) {
            long r = parts[i].size(0);
            Tensor view = fused.narrow(0, at, r).detach();
            if (trainable) view.set_requires_grad(true);
            out.put(names.get(i), view);
            at += r;
          }
        }
      }
    }
    return out;
  }

  /** True when the tensors are contiguous and follow each other in one storage, in order. */
  private static boolean adjacent(Tensor[] parts) {
    for (int i = 0; i < parts.length; i++) {
      Tensor t = parts[i];
      if (!t.is_contiguous() || !t.is_alias_of(parts[0])) return false;
      if (t.scalar_type().value != parts[0].scalar_type().value)
        return false; // native enums: by value
      if (i > 0
          && t.data_ptr().address()
              != parts[i - 1].data_ptr().address() + Projection.nbytes(parts[i - 1])) return false;
    }
    return true;
  }

  /** A view spanning {@code parts}, which {@link #adjacent} says follow each other. */
  private static Tensor spanning(Tensor... parts) {
    long rows = 0;
    for (Tensor t : parts) rows += t.size(0);
    long[] shape = Tensors.shape(parts[0]);
    shape[0] = rows;
    long[] strides = new long[shape.length];
    long stride = 1;
    for (int d = shape.length - 1; d >= 0; d--) {
      strides[d] = stride;
      stride *= shape[d];
    }
    return parts[0]
        .detach()
        .as_strided(
            shape, strides, new org.bytedeco.pytorch.LongOptional(parts[0].storage_offset()));
  }

  /** The fused form of dense projections whose weights (and biases) are adjacent. */
  private static Projection.Group denseGroup(Projection... parts) {
    Tensor[] w = new Tensor[parts.length];
    Tensor[] b = new Tensor[parts.length];
    long[] sizes = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      Projection.Dense d = (Projection.Dense) parts[i];
      w[i] = d.weight();
      b[i] = d.bias();
      sizes[i] = d.weight().size(0);
    }
    Tensor bias = b[0] == null ? null : spanning(b);
    return new Projection.Group(new Projection.Dense(spanning(w), bias), parts, sizes);
  }

  /**
   * An inference-only copy for serving: every linear layer of the decoder (q, k, v, o, gate, up,
   * down) holds int8 weights with one scale per output channel; embeddings, norms, biases and the
   * LM head stay in this model's dtype (a tied LM head is the embedding, which a lookup needs
   * exact). Activations are never quantized. The copy shares no memory with this model.
   *
   * <p>On CUDA the LM head gets an int8 copy too (the embedding stays for the lookup): a decode
   * step reads the whole head, 0.47 of 3.1 GB in bf16 for Qwen2.5-1.5B, so an int8 head is what
   * brings a step's reads to about half of bf16's ({@link #decodeWeightBytes}). On a CPU, where
   * int8 products widen the weight each call, the head stays as it is.
   */
  public Qwen2Model quantizedInt8() {
    if (quantized) return this;
    if (lora != null) return base.quantizedInt8().withLora(lora);
    SequencedMap<String, Tensor> floats = new LinkedHashMap<>();
    for (var e : params.entrySet()) {
      if (!e.getKey().endsWith("_proj.weight"))
        floats.put(e.getKey(), e.getValue().detach().clone()); // q/k/v biases: replaced below
    }
    Layer[] q = new Layer[layers.length];
    for (int l = 0; l < layers.length; l++) {
      String p = "model.layers." + l + ".";
      Layer d = layers[l];
      Projection.Group qkv = int8Group(d.qkv(), floats, fusedGroups(l).get(0));
      Projection.Group gateUp = int8Group(d.gateUp(), floats, fusedGroups(l).get(1));
      q[l] =
          new Layer(
              floats.get(p + "input_layernorm.weight"),
              qkv.parts()[0],
              qkv.parts()[1],
              qkv.parts()[2],
              int8(d.o(), null),
              floats.get(p + "post_attention_layernorm.weight"),
              gateUp.parts()[0],
              gateUp.parts()[1],
              int8(d.down(), null),
              qkv,
              gateUp);
    }
    Projection.Int8 head = null;
    if (device().is_cuda()) {
      Tensor w = config.tieWordEmbeddings() ? embed : params.get("lm_head.weight");
      head = new Projection.Dense(w, null).quantized(null);
      if (!config.tieWordEmbeddings()) floats.remove("lm_head.weight"); // only the int8 head
    }
    return new Qwen2Model(config, floats, q, true, null, null, head);
  }

  /**
   * This model with LoRA adapters on its projections ({@link LoraAdapters}): a view that shares
   * every base weight (nothing is copied) and computes {@code x·Wᵀ + s·(x·Aᵀ)·Bᵀ} in each adapted
   * projection. The base stays as it is — {@link #base()} is the model without the adapters, which
   * is how GRPO's π_ref costs no memory — and may be the int8 copy (the QLoRA idea). Gradients of a
   * training pass reach only the adapters.
   */
  public Qwen2Model withLora(LoraAdapters adapters) {
    return withLora(adapters, null);
  }

  private Qwen2Model withLora(LoraAdapters adapters, Long dropoutSeed) {
    if (lora != null)
      throw new IllegalStateException("this model already has adapters; add them to base()");
    for (var e : adapters.modules().entrySet()) {
      long[] w = shapeOf(config, e.getKey() + ".weight");
      long r = adapters.config().r();
      long[] a = Tensors.shape(e.getValue().a());
      long[] b = Tensors.shape(e.getValue().b());
      if (!java.util.Arrays.equals(a, new long[] {r, w[1]})
          || !java.util.Arrays.equals(b, new long[] {w[0], r}))
        throw new IllegalArgumentException(
            "adapter of "
                + e.getKey()
                + " has A "
                + java.util.Arrays.toString(a)
                + " and B "
                + java.util.Arrays.toString(b)
                + "; this model needs A [r, "
                + w[1]
                + "] and B ["
                + w[0]
                + ", r]");
    }
    if (adapters.modelConfig().numHiddenLayers() != config.numHiddenLayers())
      throw new IllegalArgumentException(
          "adapters are for "
              + adapters.modelConfig().numHiddenLayers()
              + " layers, this model has "
              + config.numHiddenLayers());
    double p = adapters.config().dropout();
    double s = adapters.config().scaling();
    Layer[] adapted = new Layer[layers.length];
    for (int l = 0; l < layers.length; l++) {
      String prefix = "model.layers." + l + ".";
      int layer = l;
      adapted[l] =
          layers[l].map(
              (module, proj) -> {
                LoraAdapters.Pair ab = adapters.get(prefix + LoraConfig.path(module));
                if (ab == null) return proj;
                Projection.Dropout drop =
                    dropoutSeed == null || p == 0
                        ? null
                        : new Projection.Dropout(
                            p,
                            dropoutSeed,
                            layer * LoraConfig.ALL_MODULES.size()
                                + LoraConfig.ALL_MODULES.indexOf(module));
                return new Projection.Lora(proj, ab.a(), ab.b(), s, drop);
              });
    }
    return new Qwen2Model(config, params, adapted, quantized, this, adapters, int8Head);
  }

  /**
   * The view a training pass runs: with LoRA dropout, the adapters' inputs are dropped with masks
   * drawn from {@code seed} (give each micro-batch of each step its own); without adapters or
   * dropout, this model itself.
   */
  public Qwen2Model training(long seed) {
    if (lora == null || lora.config().dropout() == 0) return this;
    return base.withLora(lora, seed);
  }

  /** The adapters of this view, or null when it has none. */
  public LoraAdapters lora() {
    return lora;
  }

  /** The model without adapters (this model itself when it has none); its weights are shared. */
  public Qwen2Model base() {
    return base;
  }

  /**
   * The tensors training updates, by name: the adapters' under their PEFT names when this model has
   * adapters (the base stays frozen), else every parameter.
   */
  public SequencedMap<String, Tensor> trainableParameters() {
    return lora != null ? lora.parameters() : parameters();
  }

  /**
   * A plain model whose adapted projections hold {@code W + s·B·A} (computed in float32 or wider,
   * stored in the base's dtype); every other tensor is shared with the base. Equal to this view up
   * to rounding; refresh it after the adapters change with {@link #mergeInto}.
   */
  public Qwen2Model merged() {
    requireLora("merged()");
    base.requireDense("merged()");
    SequencedMap<String, Tensor> p = new LinkedHashMap<>(params);
    try (NoGradGuard ng = new NoGradGuard()) {
      for (String module : lora.modules().keySet()) {
        String name = module + ".weight";
        p.put(name, mergedWeight(module, params.get(name)));
      }
    }
    return new Qwen2Model(config, p);
  }

  /**
   * Writes {@code W + s·B·A} into {@code target}'s adapted projections in place ({@code target}
   * made by {@link #merged} of the same base), so a merged copy follows the adapters without new
   * allocations outside this call.
   */
  public void mergeInto(Qwen2Model target) {
    requireLora("mergeInto()");
    try (NoGradGuard ng = new NoGradGuard();
        org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
      for (String module : lora.modules().keySet()) {
        String name = module + ".weight";
        Tensor dst = target.params.get(name);
        if (dst == params.get(name))
          throw new IllegalArgumentException(
              "mergeInto: the target shares " + name + " with the base; use merged() first");
        dst.copy_(mergedWeight(module, params.get(name)));
      }
    }
  }

  private Tensor mergedWeight(String module, Tensor w) {
    torch.ScalarType wide = atLeastFloat32(w.scalar_type());
    return w.detach()
        .to(wide)
        .add(lora.delta(module).to(w.device(), wide))
        .to(w.scalar_type())
        .contiguous();
  }

  private void requireLora(String what) {
    if (lora == null) throw new IllegalStateException(what + " needs a model with LoRA adapters");
  }

  /**
   * Rows of a batch and the adapters they use, for {@link #routed}: {@code rows} [k] int64 indices
   * into the batch dimension.
   */
  public record AdapterRows(LoraAdapters adapters, Tensor rows) {}

  /**
   * A view for one forward pass over a batch whose rows use different adapters on this same base
   * (several adapters served at once, as vLLM's multi-LoRA): each projection runs the base once for
   * all rows, then adds each adapter's low-rank term to its own rows. Rows in no group see the base
   * alone. Build one per forward pass (cheap: no tensor is copied); inference only.
   */
  public Qwen2Model routed(List<AdapterRows> groups) {
    if (lora != null)
      throw new IllegalStateException("routed() takes the base model, not an adapted view");
    if (groups.isEmpty()) return this;
    Layer[] routed = new Layer[layers.length];
    for (int l = 0; l < layers.length; l++) {
      String prefix = "model.layers." + l + ".";
      routed[l] =
          layers[l].map(
              (module, proj) -> {
                List<Projection.Route> routes = new ArrayList<>();
                for (AdapterRows g : groups) {
                  LoraAdapters.Pair ab = g.adapters().get(prefix + LoraConfig.path(module));
                  if (ab != null)
                    routes.add(
                        new Projection.Route(
                            g.rows(), ab.a(), ab.b(), g.adapters().config().scaling()));
                }
                return routes.isEmpty() ? proj : new Projection.Routed(proj, List.copyOf(routes));
              });
    }
    return new Qwen2Model(config, params, routed, quantized, this, null, int8Head);
  }

  private static Projection int8(Projection dense, Tensor bias) {
    return ((Projection.Dense) dense).quantized(bias);
  }

  /**
   * The int8 form of a fused group: the fused weight quantized row by row (the same values as
   * quantizing each part), the parts views of it; the biases in {@code floats} become views of the
   * fused float bias.
   */
  private static Projection.Group int8Group(
      Projection.Group dense, SequencedMap<String, Tensor> floats, List<String> names) {
    Projection.Dense fd = (Projection.Dense) dense.fused();
    Tensor bias = fd.bias() == null ? null : fd.bias().detach().clone();
    Projection.Int8 fused = fd.quantized(bias);
    Projection[] parts = new Projection[names.size()];
    long at = 0;
    for (int i = 0; i < parts.length; i++) {
      long r = dense.sizes()[i];
      Tensor b = bias == null ? null : bias.narrow(0, at, r);
      if (b != null) floats.put(names.get(i) + ".bias", b);
      parts[i] =
          new Projection.Int8(fused.values().narrow(0, at, r), fused.scales().narrow(0, at, r), b);
      at += r;
    }
    return new Projection.Group(fused, parts, dense.sizes());
  }

  /** Bytes held by the weights the forward pass uses (int8 weights count one byte each). */
  public long weightBytes() {
    long n = Projection.nbytes(embed) + Projection.nbytes(finalNorm);
    if (int8Head != null) n += int8Head.bytes();
    else if (lmHead != embed) n += Projection.nbytes(lmHead);
    for (Layer l : layers) n += l.bytes();
    return n;
  }

  /**
   * Bytes of weights one decode step reads, whatever its batch: every layer's projections and
   * norms, the final norm, the LM head (the whole embedding matrix when tied), and one embedding
   * row. The floor of a decode step's time is this over the memory bandwidth (batch 1: per token).
   */
  public long decodeWeightBytes() {
    long n =
        Projection.nbytes(finalNorm)
            + (int8Head != null ? int8Head.bytes() : Projection.nbytes(lmHead));
    n += config.hiddenSize() * embed.element_size(); // the looked-up row
    for (Layer l : layers) n += l.bytes();
    return n;
  }

  /** {@code bf16}, {@code f32}, …, or {@code int8 + bf16} for the int8 copy. */
  public String weightsDescription() {
    String d = dtype().name().toLowerCase(java.util.Locale.ROOT);
    return quantized ? "int8 + " + d : d;
  }

  /** KV-cache bytes per position of one sequence: layers × (K + V) × kvHeads × headDim × dtype. */
  public long kvBytesPerPosition() {
    return (long) config.numHiddenLayers()
        * 2
        * config.numKeyValueHeads()
        * config.headDim()
        * embed.element_size();
  }

  /** Every parameter name, in HF's order; {@code lm_head.weight} only when not tied. */
  public static List<String> parameterNames(Qwen2Config c) {
    List<String> names = new ArrayList<>();
    names.add("model.embed_tokens.weight");
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      String p = "model.layers." + l + ".";
      names.add(p + "input_layernorm.weight");
      for (String proj : List.of("q_proj", "k_proj", "v_proj")) {
        names.add(p + "self_attn." + proj + ".weight");
        names.add(p + "self_attn." + proj + ".bias");
      }
      names.add(p + "self_attn.o_proj.weight");
      names.add(p + "post_attention_layernorm.weight");
      names.add(p + "mlp.gate_proj.weight");
      names.add(p + "mlp.up_proj.weight");
      names.add(p + "mlp.down_proj.weight");
    }
    names.add("model.norm.weight");
    if (!c.tieWordEmbeddings()) names.add("lm_head.weight");
    return names;
  }

  /** The shape HF gives parameter {@code name} under config {@code c}. */
  public static long[] shapeOf(Qwen2Config c, String name) {
    long h = c.hiddenSize();
    long q = (long) c.numAttentionHeads() * c.headDim();
    long kv = (long) c.numKeyValueHeads() * c.headDim();
    long i = c.intermediateSize();
    if (name.equals("model.embed_tokens.weight") || name.equals("lm_head.weight"))
      return new long[] {c.vocabSize(), h};
    if (name.endsWith("layernorm.weight") || name.equals("model.norm.weight"))
      return new long[] {h};
    if (name.endsWith("q_proj.weight")) return new long[] {q, h};
    if (name.endsWith("q_proj.bias")) return new long[] {q};
    if (name.endsWith("k_proj.weight") || name.endsWith("v_proj.weight")) return new long[] {kv, h};
    if (name.endsWith("k_proj.bias") || name.endsWith("v_proj.bias")) return new long[] {kv};
    if (name.endsWith("o_proj.weight")) return new long[] {h, q};
    if (name.endsWith("gate_proj.weight") || name.endsWith("up_proj.weight"))
      return new long[] {i, h};
    if (name.endsWith("down_proj.weight")) return new long[] {h, i};
    throw new IllegalArgumentException("not a Qwen2 parameter: " + name);
  }

  /**
   * A freshly initialised model, as transformers' {@code _init_weights} does it: linear and
   * embedding weights ~ N(0, initializer_range), biases 0, RMSNorm weights 1. The same seed gives
   * bit-identical weights (drawn in f32 on the CPU, in name order, then cast).
   */
  public static Qwen2Model initialize(Qwen2Config c, long seed, DType dtype, Device device) {
    Generator gen = torch.createCPUGenerator(seed);
    SequencedMap<String, Tensor> p = allocate(c, Tensors.options(dtype, device));
    for (String name : parameterNames(c)) {
      long[] shape = shapeOf(c, name);
      Tensor t;
      if (name.endsWith("norm.weight")) {
        t = torch.ones(shape, Tensors.options(DType.F32));
      } else if (name.endsWith(".bias")) {
        t = torch.zeros(shape, Tensors.options(DType.F32));
      } else {
        t =
            torch.normal(
                0.0,
                c.initializerRange(),
                shape,
                new GeneratorOptional(gen),
                Tensors.options(DType.F32));
      }
      p.get(name).copy_(t);
    }
    return new Qwen2Model(c, p);
  }

  public Qwen2Config config() {
    return config;
  }

  /**
   * Name → tensor, in HF order (unmodifiable view; the tensors themselves are live). For the int8
   * copy: the float tensors only (no {@code *_proj.weight}).
   */
  public SequencedMap<String, Tensor> parameters() {
    return Collections.unmodifiableSequencedMap(params);
  }

  public DType dtype() {
    return DType.of(embed.scalar_type());
  }

  public Device device() {
    return embed.device();
  }

  /**
   * Marks every parameter as trainable (or frozen); with adapters, the adapters only (the base is
   * frozen either way).
   */
  public void setRequiresGrad(boolean on) {
    if (on) requireDense("training");
    if (lora != null) {
      for (Tensor t : params.values()) t.set_requires_grad(false);
      lora.setRequiresGrad(on);
      return;
    }
    for (Tensor t : params.values()) t.set_requires_grad(on);
  }

  /** A deep copy in another dtype and/or on another device (no autograd history). */
  public Qwen2Model to(DType dtype, Device device) {
    requireDense("to()");
    if (lora != null)
      return base.to(dtype, device).withLora(lora.to(torch.ScalarType.Float, device));
    SequencedMap<String, Tensor> p = allocate(config, Tensors.options(dtype, device));
    try (NoGradGuard ng = new NoGradGuard()) {
      for (var e : params.entrySet()) p.get(e.getKey()).copy_(e.getValue().detach());
    }
    return new Qwen2Model(config, p);
  }

  private void requireDense(String what) {
    // an int8 base with float adapters trains: gradients flow through the int8 product to x
    if (quantized && (lora == null || what.equals("to()") || what.equals("merged()")))
      throw new IllegalStateException(
          what + " needs the float model; this is its inference-only int8 copy");
  }

  /**
   * The final hidden states [B, T, hidden] (after the last RMSNorm).
   *
   * @param ids [B, T] int64 token ids
   * @param positions [B, T] int64 position ids (see {@link AttentionMask#positions})
   * @param mask [B, 1, T, S] bool attention mask (see {@link AttentionMask#of}); S = cached + T
   * @param cache KV cache to read and extend ({@link KvCache} or {@link SlotKvCache}), or null for
   *     a cache-free pass
   */
  /**
   * {@link #hidden} of padded rows whose keys are all in this pass (no earlier cache entries):
   * positions {@link AttentionMask#positions}({@code keyValid}) and mask {@link
   * AttentionMask#of}({@code keyValid}, T).
   *
   * @param ids [B, T] int64 token ids
   * @param keyValid [B, T] bool, true where a real token stands (false on padding)
   * @param cache a fresh KV cache to fill, or null for a cache-free pass
   */
  public Tensor hiddenPadded(Tensor ids, Tensor keyValid, AttentionCache cache) {
    return hidden(
        ids, AttentionMask.positions(keyValid), AttentionMask.of(keyValid, ids.size(1)), cache);
  }

  public Tensor hidden(Tensor ids, Tensor positions, Tensor mask, AttentionCache cache) {
    Tensor x = embed(ids); // [B, T, hidden]
    Tensor out = layers(x, rotary(positions), attentionMask(mask), cache, null);
    if (cache != null) cache.advance((int) ids.size(1));
    return Scopes.keepOnly(() -> rmsNorm(out, finalNorm)); // [B, T, hidden]
  }

  /**
   * The one layer loop: x [B, T, hidden] through every decoder layer. Each layer runs in its own
   * scope: its intermediates' handles go when it ends (autograd keeps what the backward pass
   * needs), instead of every layer's staying alive until the caller's.
   *
   * @param rope the rotary tensors of the positions
   * @param mask from {@link #attentionMask}
   * @param cache KV cache to read and extend (the shared prompt K/V is one), or null
   * @param inputs when not null, receives each layer's input (gradient checkpointing)
   */
  private Tensor layers(Tensor x, Rotary rope, Tensor mask, AttentionCache cache, Tensor[] inputs) {
    for (int l = 0; l < layers.length; l++) {
      if (inputs != null) inputs[l] = x;
      int layer = l;
      Tensor in = x;
      x = Scopes.keepOnly(() -> layer(layer, in, rope, mask, cache));
    }
    return x;
  }

  /**
   * A training forward pass whose backward pass the caller drives (see {@link TrainingForward}):
   * with {@code checkpointLayers} only each decoder layer's input is kept and the layer is
   * recomputed during the backward pass.
   */
  public TrainingForward trainingForward(
      Tensor ids, Tensor positions, Tensor mask, boolean checkpointLayers) {
    requireDense("training");
    if (!checkpointLayers) return TrainingForward.of(hidden(ids, positions, mask, null));
    Rotary rope = rotary(positions);
    Tensor attentionMask = attentionMask(mask);
    Tensor[] inputs = new Tensor[layers.length + 1]; // each layer's input, then the last output
    Tensor hidden;
    try (NoGradGuard ng = new NoGradGuard()) {
      inputs[layers.length] = layers(embed(ids), rope, attentionMask, null, inputs);
      hidden = Scopes.keepOnly(() -> rmsNorm(inputs[layers.length], finalNorm));
    }
    return TrainingForward.checkpointed(
        inputs,
        hidden,
        new TrainingForward.Recompute() {
          @Override
          public Tensor layer(int l, Tensor x) {
            return Qwen2Model.this.layer(l, x, rope, attentionMask, null);
          }

          @Override
          public Tensor finalNorm(Tensor x) {
            return rmsNorm(x, finalNorm);
          }

          @Override
          public Tensor embed() {
            return Qwen2Model.this.embed(ids);
          }
        });
  }

  /**
   * The final hidden states [n, T, hidden] that predict the completion tokens of n rows whose
   * prompts are shared: position t predicts completion token t (t = 0 from the prompt's last
   * position). Equal to running every row [prompt | completion] through {@link #hidden} and keeping
   * the positions Lp − 1 .. Lp + T − 2, but each of the P distinct prompts is computed once: causal
   * attention makes a prompt's hidden states independent of what follows it, so its keys and values
   * are computed for P rows and read by all n completions ({@link SharedPromptKv}). Gradients flow
   * back through the sharing (summed over a prompt's rows).
   *
   * @param promptIds [P, Lp] left-padded prompts
   * @param promptValid [P, Lp] bool, real prompt tokens
   * @param promptOfRow [n] int64, the prompt of each row
   * @param completionIds [n, T] right-padded completions
   * @param rowValid [n, Lp + T] bool: row r's prompt validity (that of its prompt) then its
   *     completion's
   */
  public Tensor sharedPromptHidden(
      Tensor promptIds,
      Tensor promptValid,
      Tensor promptOfRow,
      Tensor completionIds,
      Tensor rowValid) {
    long lp = promptIds.size(1);
    long t = completionIds.size(1);
    SharedPromptKv prompts = SharedPromptKv.recording(layers.length);
    Tensor promptHidden =
        hidden(
            promptIds,
            AttentionMask.positions(promptValid),
            AttentionMask.of(promptValid, lp),
            prompts);
    Tensor first =
        promptHidden
            .narrow(1, lp - 1, 1)
            .index_select(0, promptOfRow); // predicts completion token 0
    if (t == 1) return first;
    // The last completion token predicts nothing: only the first T − 1 completion positions run.
    Tensor ids = completionIds.narrow(1, 0, t - 1);
    Tensor valid = rowValid.narrow(1, 0, lp + t - 1);
    Tensor positions = AttentionMask.positions(valid).narrow(1, lp, t - 1);
    Tensor rest =
        hidden(ids, positions, AttentionMask.of(valid, t - 1), prompts.forRows(promptOfRow));
    return torch.cat(new TensorVector(first, rest), 1);
  }

  /**
   * {@link #sharedPromptHidden} as a training pass: its {@link TrainingForward#hidden()} is the [n,
   * T, hidden] completion part (no layer checkpointing).
   */
  public TrainingForward sharedPromptTrainingForward(
      Tensor promptIds,
      Tensor promptValid,
      Tensor promptOfRow,
      Tensor completionIds,
      Tensor rowValid) {
    requireDense("training");
    return TrainingForward.of(
        sharedPromptHidden(promptIds, promptValid, promptOfRow, completionIds, rowValid));
  }

  /** The token embeddings [B, T, hidden]. */
  private Tensor embed(Tensor ids) {
    return torch.embedding(embed, ids);
  }

  /**
   * The form of {@link AttentionMask#of a bool mask} that {@link #attention} consumes, made once
   * per forward pass rather than once per layer: on CUDA the bool mask itself (for SDPA's fused
   * kernels); elsewhere an additive bias [B, 1, T, S], 0 where attending and −∞ where not.
   */
  Tensor attentionMask(Tensor mask) {
    if (mask.is_cuda()) return mask;
    torch.ScalarType dtype = atLeastFloat32(embed.scalar_type());
    return torch
        .zeros(Tensors.shape(mask), Tensors.options(DType.F32, mask.device()))
        .to(dtype)
        .masked_fill(mask.logical_not(), new Scalar(Double.NEGATIVE_INFINITY));
  }

  /**
   * Decoder layer {@code l}: x + attention(rmsnorm(x)), then + mlp(rmsnorm(·)); {@code mask} from
   * {@link #attentionMask}.
   */
  private Tensor layer(int l, Tensor x, Rotary rope, Tensor mask, AttentionCache cache) {
    long b = x.size(0);
    long t = x.size(1);
    int heads = config.numAttentionHeads();
    int kvHeads = config.numKeyValueHeads();
    int d = config.headDim();
    Layer w = layers[l];
    Tensor h = rmsNorm(x, w.inputNorm());
    Tensor[] qkv = w.qkv(h); // one product [q | k | v] unless training the parts
    Tensor q = qkv[0].view(b, t, heads, d).transpose(1, 2); // [B, heads, T, d]
    Tensor k = qkv[1].view(b, t, kvHeads, d).transpose(1, 2); // [B, kvHeads, T, d]
    Tensor v = qkv[2].view(b, t, kvHeads, d).transpose(1, 2); // [B, kvHeads, T, d]
    q = rope.apply(q);
    k = rope.apply(k);
    if (cache != null) {
      Tensor[] kv = cache.append(l, k, v); // [B, kvHeads, S, d] each, S = cached + T
      k = kv[0];
      v = kv[1];
    }
    Tensor attn =
        attention(q, k, v, mask)
            .transpose(1, 2)
            .reshape(b, t, (long) heads * d); // [B, heads, T, d] → [B, T, heads·d]
    x = x.add(w.o().apply(attn));
    h = rmsNorm(x, w.postNorm());
    Tensor[] gateUp = w.gateUp(h); // one product [gate | up] unless training the parts
    return x.add(w.down().apply(torch.silu(gateUp[0]).mul(gateUp[1])));
  }

  /**
   * softmax(q·kᵀ/√d + mask)·v for q [B, heads, T, d] and k, v [B, kvHeads, S, d]; query head h
   * reads KV head h / groups, as HF's {@code repeat_kv} has it.
   *
   * <p>On the CPU the query heads are grouped under their shared KV head (q becomes [B, kvHeads,
   * groups·T, d]), so the KV cache is read in place. libtorch's CPU SDPA takes its plain path for
   * grouped-query attention with a mask, which first copies K and V once per group and K once more
   * to scale it: on {@code bench25m} at 64 decode rows that was 44 of a 90 ms decode step, this
   * form takes 35 (docs/performance.md). Scores are normalised in float32 (or wider), as SDPA does
   * for bf16. On CUDA, SDPA's fused kernels. {@code AttentionTest} checks both forms agree.
   */
  Tensor attention(Tensor q, Tensor k, Tensor v, Tensor mask) {
    if (q.is_cuda()) {
      return torch.scaled_dot_product_attention(
          q, k, v, new TensorOptional(mask), 0.0, false, new DoubleOptional(), config.groups() > 1);
    }
    long b = q.size(0);
    long t = q.size(2);
    long s = k.size(2);
    long d = q.size(3);
    int kvHeads = (int) k.size(1);
    long groups = q.size(1) / kvHeads;
    Tensor grouped =
        q.mul(new Scalar(1.0 / Math.sqrt(d)))
            .reshape(b, kvHeads, groups * t, d); // [B, heads, T, d] → [B, kvHeads, groups·T, d]
    // In place: matmul keeps its inputs for the backward pass, not its output.
    Tensor scores =
        torch
            .matmul(grouped, k.transpose(2, 3)) // [B, kvHeads, groups·T, S]
            .view(b, kvHeads, groups, t, s) // mask [B, 1, T, S] → [B, 1, 1, T, S] broadcasts
            .add_(mask.unsqueeze(2));
    Tensor weights =
        torch
            .softmax(scores, -1, new ScalarTypeOptional(atLeastFloat32(q.scalar_type())))
            .to(q.scalar_type());
    return torch
        .matmul(weights.view(b, kvHeads, groups * t, s), v) // [B, kvHeads, groups·T, d]
        .view(b, kvHeads * groups, t, d); // [B, heads, T, d]
  }

  /** logits = hidden · Wlmᵀ, [.., vocab]. */
  public Tensor logits(Tensor hidden) {
    return int8Head != null ? int8Head.apply(hidden) : torch.linear(hidden, lmHead);
  }

  /** HF's Qwen2RMSNorm: normalise in float32 (or wider), cast back, then scale. */
  private Tensor rmsNorm(Tensor x, Tensor weight) {
    Tensor xf = x.to(atLeastFloat32(x.scalar_type()));
    Tensor variance = xf.mul(xf).mean(new long[] {-1}, true, new ScalarTypeOptional());
    Tensor normed = xf.mul(variance.add(new Scalar(config.rmsNormEps())).rsqrt());
    return weight.mul(normed.to(x.scalar_type()));
  }

  /**
   * cos and signed sin [B, 1, T, headDim] of the rotary embedding: θ_i = rope_theta^(−2i/d), angle
   * = position · θ_i, duplicated across the two halves (HF's rotate-half layout), the sin's first
   * half negated (see {@link Rotary#apply}). Computed in float32 (or wider) as HF does, then cast
   * to the activations' dtype.
   */
  private Rotary rotary(Tensor positions) {
    int d = config.headDim();
    torch.ScalarType dtype = embed.scalar_type(); // the activations' dtype
    torch.ScalarType wide = atLeastFloat32(dtype);
    Tensor exponents =
        torch
            .arange(
                new Scalar(0),
                new Scalar(d),
                new Scalar(2),
                Tensors.options(DType.I64, positions.device()))
            .to(wide)
            .div(new Scalar((double) d));
    Tensor invFreq = torch.pow(new Scalar(config.ropeTheta()), exponents).reciprocal(); // [d/2]
    Tensor freqs = positions.to(wide).unsqueeze(-1).mul(invFreq); // [B,T,d/2]
    Tensor cos = freqs.cos();
    Tensor sin = freqs.sin();
    return new Rotary(
        torch.cat(new TensorVector(cos, cos), -1).unsqueeze(1).to(dtype), // [B,1,T,d]
        torch.cat(new TensorVector(sin.neg(), sin), -1).unsqueeze(1).to(dtype)); // [B,1,T,d]
  }

  /**
   * float64 stays float64 (tests check gradients in it); everything narrower computes in float32.
   */
  private static torch.ScalarType atLeastFloat32(torch.ScalarType t) {
    return DType.computeFloat(t);
  }

  /**
   * The rotary embedding of some positions: cos and signed sin [B, 1, T, headDim] (see {@link
   * #rotary}).
   */
  private record Rotary(Tensor cos, Tensor sin) {
    /**
     * x·cos + rotate_half(x)·sin, rotate_half(x) = [−x₂, x₁], for x [B, heads, T, headDim]. Written
     * as x·cos + [x₂, x₁]·[−sin, sin] (a roll by half the head and the signed sin): three ops and
     * two new tensors instead of six and five, which matters for the activations a training step
     * keeps.
     */
    Tensor apply(Tensor x) {
      long half = x.size(-1) / 2;
      // In place: mul keeps its inputs for the backward pass, not its output.
      return x.mul(cos).addcmul_(x.roll(new long[] {half}, -1), sin);
    }
  }
}
