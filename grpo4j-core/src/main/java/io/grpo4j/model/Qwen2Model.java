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
  private final boolean quantized;

  /** The adapters this view adds to {@link #base}, or null for a model without adapters. */
  private final LoraAdapters lora;

  /** The model without adapters whose weights this view shares; {@code this} when not a view. */
  private final Qwen2Model base;

  /** One decoder layer's weights, looked up once so the forward pass reads like the maths. */
  private record Layer(
      Tensor inputNorm,
      Projection q,
      Projection k,
      Projection v,
      Projection o,
      Tensor postNorm,
      Projection gate,
      Projection up,
      Projection down) {

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
          f.apply("down_proj", down));
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

  /** Wraps existing tensors; {@code params} must hold exactly {@link #parameterNames}. */
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
    this.params = params;
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
    layers = new Layer[config.numHiddenLayers()];
    for (int l = 0; l < layers.length; l++) {
      String p = "model.layers." + l + ".";
      layers[l] =
          new Layer(
              params.get(p + "input_layernorm.weight"),
              dense(p + "self_attn.q_proj", true),
              dense(p + "self_attn.k_proj", true),
              dense(p + "self_attn.v_proj", true),
              dense(p + "self_attn.o_proj", false),
              params.get(p + "post_attention_layernorm.weight"),
              dense(p + "mlp.gate_proj", false),
              dense(p + "mlp.up_proj", false),
              dense(p + "mlp.down_proj", false));
    }
    embed = params.get("model.embed_tokens.weight");
    finalNorm = params.get("model.norm.weight");
    lmHead = config.tieWordEmbeddings() ? embed : params.get("lm_head.weight");
    quantized = false;
    lora = null;
    base = this;
  }

  /**
   * The int8 serving copy ({@code floatParams} holds every tensor but the projection weights,
   * {@code base} and {@code lora} null), or a view of {@code base} whose layers are {@code layers}
   * (its adapters {@code lora}, or null for a per-row routed view).
   */
  private Qwen2Model(
      Qwen2Config config,
      SequencedMap<String, Tensor> floatParams,
      Layer[] layers,
      boolean quantized,
      Qwen2Model base,
      LoraAdapters lora) {
    this.config = config;
    this.params = floatParams;
    this.layers = layers;
    this.embed = floatParams.get("model.embed_tokens.weight");
    this.finalNorm = floatParams.get("model.norm.weight");
    this.lmHead = config.tieWordEmbeddings() ? embed : floatParams.get("lm_head.weight");
    this.quantized = quantized;
    this.base = base == null ? this : base;
    this.lora = lora;
  }

  private Projection dense(String prefix, boolean hasBias) {
    return new Projection.Dense(
        params.get(prefix + ".weight"), hasBias ? params.get(prefix + ".bias") : null);
  }

  /**
   * An inference-only copy for serving: every linear layer of the decoder (q, k, v, o, gate, up,
   * down) holds int8 weights with one scale per output channel; embeddings, norms, biases and the
   * LM head stay in this model's dtype (a tied LM head is the embedding, which a lookup needs
   * exact). Activations are never quantized. The copy shares no memory with this model.
   */
  public Qwen2Model quantizedInt8() {
    if (quantized) return this;
    if (lora != null) return base.quantizedInt8().withLora(lora);
    SequencedMap<String, Tensor> floats = new LinkedHashMap<>();
    for (var e : params.entrySet()) {
      if (!e.getKey().endsWith("_proj.weight"))
        floats.put(e.getKey(), e.getValue().detach().clone());
    }
    Layer[] q = new Layer[layers.length];
    for (int l = 0; l < layers.length; l++) {
      String p = "model.layers." + l + ".";
      Layer d = layers[l];
      q[l] =
          new Layer(
              floats.get(p + "input_layernorm.weight"),
              int8(d.q(), floats.get(p + "self_attn.q_proj.bias")),
              int8(d.k(), floats.get(p + "self_attn.k_proj.bias")),
              int8(d.v(), floats.get(p + "self_attn.v_proj.bias")),
              int8(d.o(), null),
              floats.get(p + "post_attention_layernorm.weight"),
              int8(d.gate(), null),
              int8(d.up(), null),
              int8(d.down(), null));
    }
    return new Qwen2Model(config, floats, q, true, null, null);
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
    return new Qwen2Model(config, params, adapted, quantized, this, adapters);
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
    return new Qwen2Model(config, params, routed, quantized, this, null);
  }

  private static Projection int8(Projection dense, Tensor bias) {
    return ((Projection.Dense) dense).quantized(bias);
  }

  /** Bytes held by the weights the forward pass uses (int8 weights count one byte each). */
  public long weightBytes() {
    long n = Projection.nbytes(embed) + Projection.nbytes(finalNorm);
    if (lmHead != embed) n += Projection.nbytes(lmHead);
    for (Layer l : layers) n += l.bytes();
    return n;
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
    SequencedMap<String, Tensor> p = new LinkedHashMap<>();
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
      p.put(name, t.to(device, dtype.scalarType).contiguous());
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
    SequencedMap<String, Tensor> p = new LinkedHashMap<>();
    for (var e : params.entrySet()) {
      p.put(e.getKey(), e.getValue().detach().to(device, dtype.scalarType).clone().contiguous());
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
    Tensor q = w.q().apply(h).view(b, t, heads, d).transpose(1, 2); // [B, heads, T, d]
    Tensor k = w.k().apply(h).view(b, t, kvHeads, d).transpose(1, 2); // [B, kvHeads, T, d]
    Tensor v = w.v().apply(h).view(b, t, kvHeads, d).transpose(1, 2); // [B, kvHeads, T, d]
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
    Tensor gate = torch.silu(w.gate().apply(h));
    return x.add(w.down().apply(gate.mul(w.up().apply(h))));
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
    return torch.linear(hidden, lmHead);
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
