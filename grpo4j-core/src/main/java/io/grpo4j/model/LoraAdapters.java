package io.grpo4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.torch.AtomicFiles;
import io.grpo4j.torch.CheckpointFormatException;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.SafetensorsFile;
import io.grpo4j.torch.SafetensorsWriter;
import io.grpo4j.torch.TensorInfo;
import io.grpo4j.torch.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * One set of LoRA adapters for a Qwen2 model: for every adapted projection ({@code
 * model.layers.N.self_attn.q_proj}, ...) a down-projection A [r, in] and an up-projection B [out,
 * r], kept in float32 (float64 in gradient tests) whatever dtype the base runs in. The projection
 * then computes {@code x·Wᵀ + s·(x·Aᵀ)·Bᵀ} ({@link LoraConfig}).
 *
 * <p>On disk the layout is PEFT's, so adapters move between grpo4j, PEFT, vLLM and transformers:
 * {@code adapter_config.json} ({@code peft_type: LORA}, {@code r}, {@code lora_alpha}, {@code
 * target_modules}, {@code base_model_name_or_path}, ...) and {@code adapter_model.safetensors}
 * whose keys are the module path behind PEFT's wrapper prefix, without an adapter name: {@code
 * base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight} [r, in] and {@code
 * ...lora_B.weight} [out, r].
 *
 * <p>Initialised as PEFT does ({@code init_lora_weights=True}): A from kaiming-uniform with a = √5,
 * i.e. U(−1/√in, 1/√in), and B = 0, so a fresh adapter leaves the model exactly as it was.
 */
public final class LoraAdapters {
  public static final String CONFIG_FILE = "adapter_config.json";
  public static final String WEIGHTS_FILE = "adapter_model.safetensors";

  /** PEFT's prefix for a causal LM: {@code PeftModel.base_model} (LoraModel) → {@code .model}. */
  static final String KEY_PREFIX = "base_model.model.";

  private static final Pattern KEY =
      Pattern.compile(
          "base_model\\.model\\.model\\.layers\\.(\\d+)\\.(self_attn|mlp)\\.([a-z_]+)\\.lora_([AB])\\.weight");

  /** One adapted projection's matrices. */
  public record Pair(Tensor a, Tensor b) {}

  private final LoraConfig config;
  private final Qwen2Config model;
  private final SequencedMap<String, Pair> modules; // module path → (A, B), in layer order

  private LoraAdapters(LoraConfig config, Qwen2Config model, SequencedMap<String, Pair> modules) {
    this.config = config;
    this.model = model;
    this.modules = modules;
  }

  /**
   * Fresh adapters for every target module of every layer: A ~ U(−1/√in, 1/√in) drawn in float32 on
   * the CPU from {@code seed} (module by module, in layer order, so the same seed gives the same
   * adapters), B = 0.
   */
  public static LoraAdapters initialize(
      Qwen2Config model, LoraConfig config, long seed, Device device) {
    Generator gen = torch.createCPUGenerator(seed);
    SequencedMap<String, Pair> m = new LinkedHashMap<>();
    for (String module : modulePaths(model, config)) {
      long[] w = Qwen2Model.shapeOf(model, module + ".weight"); // [out, in]
      double bound = 1.0 / Math.sqrt(w[1]);
      Tensor a =
          torch
              .rand(
                  new long[] {config.r(), w[1]},
                  new GeneratorOptional(gen),
                  Tensors.options(DType.F32))
              .mul(new Scalar(2 * bound))
              .sub(new Scalar(bound));
      Tensor b = torch.zeros(new long[] {w[0], config.r()}, Tensors.options(DType.F32));
      m.put(
          module,
          new Pair(
              a.to(device, torch.ScalarType.Float).contiguous(),
              b.to(device, torch.ScalarType.Float).contiguous()));
    }
    return new LoraAdapters(config, model, m);
  }

  /** Every adapted module path, in layer order: {@code model.layers.N.self_attn.q_proj}, .... */
  static List<String> modulePaths(Qwen2Config model, LoraConfig config) {
    List<String> out = new ArrayList<>();
    for (int l = 0; l < model.numHiddenLayers(); l++) {
      for (String module : config.targetModules())
        out.add("model.layers." + l + "." + LoraConfig.path(module));
    }
    return out;
  }

  public LoraConfig config() {
    return config;
  }

  /** The shape of model these adapters belong to. */
  public Qwen2Config modelConfig() {
    return model;
  }

  /** Module path → (A, B), in layer order (unmodifiable; the tensors are live). */
  public SequencedMap<String, Pair> modules() {
    return Collections.unmodifiableSequencedMap(modules);
  }

  /** The adapter of a module path ({@code model.layers.0.self_attn.q_proj}), or null. */
  public Pair get(String modulePath) {
    return modules.get(modulePath);
  }

  /**
   * The trainable tensors under their PEFT names ({@code base_model.model.<module>.lora_A.weight},
   * then {@code lora_B}), in layer order: what the optimizer updates and the files hold.
   */
  public SequencedMap<String, Tensor> parameters() {
    SequencedMap<String, Tensor> p = new LinkedHashMap<>();
    for (var e : modules.entrySet()) {
      p.put(KEY_PREFIX + e.getKey() + ".lora_A.weight", e.getValue().a());
      p.put(KEY_PREFIX + e.getKey() + ".lora_B.weight", e.getValue().b());
    }
    return p;
  }

  /**
   * Number of adapter weights {@code config} puts on a model of shape {@code model}: Σ r·(in +
   * out).
   */
  public static long parameterCount(Qwen2Config model, LoraConfig config) {
    long n = 0;
    for (String module : modulePaths(model, config)) {
      long[] w = Qwen2Model.shapeOf(model, module + ".weight");
      n += (long) config.r() * (w[0] + w[1]);
    }
    return n;
  }

  /** Number of adapter weights. */
  public long parameterCount() {
    long n = 0;
    for (Pair p : modules.values()) n += p.a().numel() + p.b().numel();
    return n;
  }

  public void setRequiresGrad(boolean on) {
    for (Pair p : modules.values()) {
      p.a().set_requires_grad(on);
      p.b().set_requires_grad(on);
    }
  }

  public Device device() {
    return modules.firstEntry().getValue().a().device();
  }

  /** A deep copy in another floating type and/or on another device (no autograd history). */
  public LoraAdapters to(torch.ScalarType dtype, Device device) {
    SequencedMap<String, Pair> m = new LinkedHashMap<>();
    for (var e : modules.entrySet()) {
      Pair p = e.getValue();
      m.put(
          e.getKey(),
          new Pair(
              p.a().detach().to(device, dtype).clone().contiguous(),
              p.b().detach().to(device, dtype).clone().contiguous()));
    }
    return new LoraAdapters(config, model, m);
  }

  /**
   * s·B·A [out, in] of one module, in the adapters' dtype: what merging adds to its weight. No
   * gradient.
   */
  public Tensor delta(String modulePath) {
    Pair p = modules.get(modulePath);
    return torch.matmul(p.b().detach(), p.a().detach()).mul(new Scalar(config.scaling()));
  }

  /**
   * Writes {@code adapter_model.safetensors} (tensors stored as {@code storage}; header metadata
   * {@code format: pt}, as PEFT writes it) and {@code adapter_config.json} into {@code dir}, each
   * atomically.
   *
   * @param baseModel the {@code base_model_name_or_path} to record (the base model's folder or hub
   *     id)
   */
  public void save(Path dir, String baseModel, DType storage) throws IOException {
    Files.createDirectories(dir);
    try (PointerScope scope = new PointerScope()) {
      SequencedMap<String, Tensor> out = new LinkedHashMap<>();
      for (var e : parameters().entrySet())
        out.put(
            e.getKey(),
            e.getValue().detach().to(new Device("cpu"), storage.scalarType).contiguous());
      SafetensorsWriter.write(dir.resolve(WEIGHTS_FILE), out, Map.of("format", "pt"));
    }
    AtomicFiles.writeString(
        dir.resolve(CONFIG_FILE),
        HfCheckpoint.JSON.writeValueAsString(configJson(config, baseModel)) + "\n");
  }

  /** PEFT's adapter_config.json for a plain LoRA adapter of a causal LM. */
  static ObjectNode configJson(LoraConfig c, String baseModel) {
    ObjectNode o = HfCheckpoint.JSON.createObjectNode();
    o.putObject("alpha_pattern");
    o.put("base_model_name_or_path", baseModel);
    o.put("bias", "none");
    o.put("fan_in_fan_out", false);
    o.put("inference_mode", true);
    o.put("init_lora_weights", true);
    o.putNull("layers_pattern");
    o.putNull("layers_to_transform");
    if (c.alpha() == Math.rint(c.alpha()) && Math.abs(c.alpha()) < 1e15) {
      o.put("lora_alpha", (long) c.alpha());
    } else {
      o.put("lora_alpha", c.alpha());
    }
    o.put("lora_dropout", c.dropout());
    o.putNull("modules_to_save");
    o.put("peft_type", "LORA");
    o.put("r", c.r());
    o.putObject("rank_pattern");
    o.putNull("revision");
    ArrayNode targets = o.putArray("target_modules");
    c.targetModules().forEach(targets::add);
    o.put("task_type", "CAUSAL_LM");
    o.put("use_dora", false);
    o.put("use_rslora", c.rslora());
    return o;
  }

  /**
   * {@code base_model_name_or_path} of the adapter folder {@code dir} (null when absent), without
   * loading its weights.
   */
  public static String baseModel(Path dir) throws IOException {
    JsonNode b = readConfigJson(dir).path("base_model_name_or_path");
    return b.isTextual() ? b.asText() : null;
  }

  /** The LoRA settings of the adapter folder {@code dir}'s adapter_config.json. */
  public static LoraConfig readConfig(Path dir) throws IOException {
    Path file = dir.resolve(CONFIG_FILE);
    return parseConfig(file, readConfigJson(dir));
  }

  private static JsonNode readConfigJson(Path dir) throws IOException {
    if (!Files.isDirectory(dir))
      throw new NoSuchFileException(
          dir
              + " (expected a LoRA adapter folder with "
              + CONFIG_FILE
              + " and "
              + WEIGHTS_FILE
              + ")");
    Path file = dir.resolve(CONFIG_FILE);
    if (!Files.isRegularFile(file))
      throw new NoSuchFileException(
          file + " (a LoRA adapter folder needs " + CONFIG_FILE + " and " + WEIGHTS_FILE + ")");
    JsonNode root = HfCheckpoint.readJson(file);
    if (!root.isObject()) throw new CheckpointFormatException(file, null, "expected a JSON object");
    return root;
  }

  /**
   * Checks a PEFT adapter_config.json field by field. What grpo4j cannot apply exactly is refused
   * with the field's name rather than loaded approximately: other PEFT methods, DoRA, trained
   * biases, fan-in-fan-out weights, extra trained modules, per-module ranks, layer patterns.
   */
  static LoraConfig parseConfig(Path file, JsonNode root) throws IOException {
    String type = root.path("peft_type").asText("");
    if (!type.equals("LORA"))
      throw new CheckpointFormatException(
          file, null, "peft_type is '" + type + "'; only LORA adapters can be loaded");
    JsonNode r = root.get("r");
    if (r == null || !r.canConvertToInt() || !r.isIntegralNumber() || r.asInt() < 1)
      throw new CheckpointFormatException(file, null, "r must be an integer >= 1, got " + r);
    JsonNode alpha = root.get("lora_alpha");
    if (alpha == null || !alpha.isNumber() || !(alpha.asDouble() > 0))
      throw new CheckpointFormatException(
          file, null, "lora_alpha must be a positive number, got " + alpha);
    refuseIf(file, root, "use_dora", true, "DoRA adapters are not supported");
    refuseIf(file, root, "fan_in_fan_out", true, "fan_in_fan_out weights are not supported");
    String bias = root.path("bias").asText("none");
    if (!bias.equals("none"))
      throw new CheckpointFormatException(
          file, null, "bias is '" + bias + "'; only adapters that train no biases (none) load");
    refuseNonEmpty(file, root, "modules_to_save");
    refuseNonEmpty(file, root, "rank_pattern");
    refuseNonEmpty(file, root, "alpha_pattern");
    refuseNonEmpty(file, root, "layers_to_transform");
    refuseNonEmpty(file, root, "layers_pattern");
    refuseNonEmpty(file, root, "layer_replication");
    List<String> targets = new ArrayList<>();
    JsonNode t = root.get("target_modules");
    if (t != null && t.isTextual() && t.asText().equals("all-linear")) {
      targets.addAll(LoraConfig.ALL_MODULES);
    } else if (t != null && t.isArray()) {
      for (JsonNode x : t) {
        if (!x.isTextual() || !LoraConfig.ALL_MODULES.contains(x.asText()))
          throw new CheckpointFormatException(
              file,
              null,
              "target_modules entry "
                  + x
                  + " is not a Qwen2 decoder projection; expected some of "
                  + LoraConfig.ALL_MODULES);
        if (!targets.contains(x.asText())) targets.add(x.asText());
      }
    } else {
      throw new CheckpointFormatException(
          file,
          null,
          "target_modules must be a list of projection names (or \"all-linear\"), got " + t);
    }
    double dropout = root.path("lora_dropout").asDouble(0.0);
    if (!(dropout >= 0 && dropout < 1))
      throw new CheckpointFormatException(
          file, null, "lora_dropout must be in [0, 1), got " + root.get("lora_dropout"));
    try {
      return new LoraConfig(
          r.asInt(), alpha.asDouble(), dropout, targets, root.path("use_rslora").asBoolean(false));
    } catch (IllegalArgumentException e) {
      throw new CheckpointFormatException(file, null, e.getMessage(), e);
    }
  }

  private static void refuseIf(Path file, JsonNode root, String field, boolean bad, String why)
      throws IOException {
    JsonNode v = root.get(field);
    if (v != null && v.isBoolean() && v.asBoolean() == bad)
      throw new CheckpointFormatException(file, null, field + " is " + bad + ": " + why);
  }

  private static void refuseNonEmpty(Path file, JsonNode root, String field) throws IOException {
    JsonNode v = root.get(field);
    if (v == null || v.isNull()) return;
    if ((v.isContainerNode() && v.isEmpty()) || (v.isTextual() && v.asText().isEmpty())) return;
    throw new CheckpointFormatException(
        file,
        null,
        field + " is set (" + v + "); grpo4j loads only plain LoRA adapters without it");
  }

  /**
   * Loads the adapter folder {@code dir} (PEFT's layout, written by PEFT or by grpo4j) for a model
   * of shape {@code model}, into float32 on {@code device}. Every tensor name, shape and dtype is
   * checked: each target module of each layer needs its A [r, in] and B [out, r], and any other
   * tensor is an error naming it.
   */
  public static LoraAdapters load(Path dir, Qwen2Config model, Device device) throws IOException {
    LoraConfig config = readConfig(dir);
    Path file = dir.resolve(WEIGHTS_FILE);
    if (!Files.isRegularFile(file)) {
      String other =
          Files.isRegularFile(dir.resolve("adapter_model.bin"))
              ? "; adapter_model.bin is present, but grpo4j never loads pickle files: save the adapter with safe_serialization=True"
              : "";
      throw new NoSuchFileException(file + " (the adapter's weights are missing" + other + ")");
    }
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      Set<String> expected = new LinkedHashSet<>();
      for (String m : modulePaths(model, config)) {
        expected.add(KEY_PREFIX + m + ".lora_A.weight");
        expected.add(KEY_PREFIX + m + ".lora_B.weight");
      }
      for (String name : f.tensors().keySet()) {
        if (expected.contains(name)) continue;
        Matcher k = KEY.matcher(name);
        String why =
            !k.matches()
                ? "not a LoRA weight of a Qwen2 decoder projection (expected keys like "
                    + KEY_PREFIX
                    + "model.layers.0.self_attn.q_proj.lora_A.weight)"
                : Integer.parseInt(k.group(1)) >= model.numHiddenLayers()
                    ? "layer "
                        + k.group(1)
                        + " does not exist: the base model has "
                        + model.numHiddenLayers()
                        + " layers"
                    : "module "
                        + k.group(3)
                        + " is not in target_modules "
                        + config.targetModules();
        throw new CheckpointFormatException(file, name, why);
      }
      List<String> missing = new ArrayList<>();
      for (String name : expected) if (!f.tensors().containsKey(name)) missing.add(name);
      if (!missing.isEmpty())
        throw new CheckpointFormatException(
            file,
            null,
            missing.size()
                + " adapter tensor(s) missing, e.g. "
                + missing.get(0)
                + " (target_modules "
                + config.targetModules()
                + " in every one of "
                + model.numHiddenLayers()
                + " layers)");
      SequencedMap<String, Pair> m = new LinkedHashMap<>();
      for (String module : modulePaths(model, config)) {
        long[] w = Qwen2Model.shapeOf(model, module + ".weight");
        Tensor a = read(f, KEY_PREFIX + module + ".lora_A.weight", new long[] {config.r(), w[1]});
        Tensor b = read(f, KEY_PREFIX + module + ".lora_B.weight", new long[] {w[0], config.r()});
        m.put(
            module,
            new Pair(
                a.to(device, torch.ScalarType.Float).contiguous(),
                b.to(device, torch.ScalarType.Float).contiguous()));
      }
      return new LoraAdapters(config, model, m);
    }
  }

  /** {@link #load(Path, Qwen2Config, Device)} onto a device named as on the command line. */
  public static LoraAdapters load(Path dir, Qwen2Config model, String device) throws IOException {
    return load(dir, model, io.grpo4j.torch.Torch.device(device));
  }

  private static Tensor read(SafetensorsFile f, String name, long[] shape) throws IOException {
    TensorInfo info = f.tensors().get(name);
    if (!Arrays.equals(info.shape(), shape))
      throw new CheckpointFormatException(
          f.path(),
          name,
          "shape "
              + Arrays.toString(info.shape())
              + " but r and the base model's config.json imply "
              + Arrays.toString(shape));
    if (!info.dtype().isFloatingPoint())
      throw new CheckpointFormatException(
          f.path(), name, "dtype " + info.dtype() + ", expected a float dtype (F32, BF16, F16)");
    return f.read(name).to(torch.ScalarType.Float);
  }
}
