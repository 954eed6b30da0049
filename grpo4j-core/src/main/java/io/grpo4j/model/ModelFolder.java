package io.grpo4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.torch.CheckpointManifest;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Torch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;

/**
 * A local Hugging Face model folder, opened lazily: its config, tokenizer, chat template and stop
 * tokens are read at once (cheap); weights only when {@link #loadModel} is called. Nothing is ever
 * downloaded: a folder that lacks a file is an error naming it.
 *
 * <p>A LoRA adapter folder in PEFT's layout ({@link LoraAdapters}: {@code adapter_config.json}, no
 * {@code config.json}) opens as its base model with the adapter on top, the base found at the
 * adapter's {@code base_model_name_or_path} when that is a local folder (grpo4j's LoRA checkpoints
 * record their base's path there); {@link #withAdapter} puts an adapter on any base. The adapter's
 * base may itself be an adapter folder: the inner adapters are merged into the base when loading.
 *
 * <p>A folder is of one {@link ModelKind}: {@link #open} opens autoregressive Qwen2 folders and
 * refuses masked-diffusion ones, {@link #openDiffusion} the reverse, so neither model is ever run
 * as the other. Tokenizer, prompts, stop tokens and scoring are the same for both.
 */
public final class ModelFolder implements AutoCloseable {
  private final Path dir;
  private final ObjectNode rawConfig;
  private final Qwen2Config config;
  private final Tokenizer tokenizer;
  private final ChatTemplate chatTemplate;
  private final Set<Integer> stopTokenIds;
  private final DiffusionConfig diffusion; // null for an autoregressive folder

  /** Adapter folders applied on top of the weights in {@link #dir}, innermost first. */
  private final List<Path> adapters;

  private ModelFolder(
      Path dir,
      ObjectNode rawConfig,
      Qwen2Config config,
      DiffusionConfig diffusion,
      Tokenizer tokenizer,
      ChatTemplate chatTemplate,
      Set<Integer> stops,
      List<Path> adapters) {
    this.dir = dir;
    this.rawConfig = rawConfig;
    this.config = config;
    this.diffusion = diffusion;
    this.tokenizer = tokenizer;
    this.chatTemplate = chatTemplate;
    this.stopTokenIds = stops;
    this.adapters = List.copyOf(adapters);
  }

  /** Opens an autoregressive Qwen2 folder; a masked-diffusion folder is an error saying so. */
  public static ModelFolder open(Path dir) throws IOException {
    return open(dir, ModelKind.CAUSAL);
  }

  /**
   * Opens a masked-diffusion folder ({@link DiffusionConfig}); an autoregressive folder is an error
   * saying so.
   */
  public static ModelFolder openDiffusion(Path dir) throws IOException {
    return open(dir, ModelKind.MASKED_DIFFUSION);
  }

  /** Opens a folder that must be of {@code kind}. */
  public static ModelFolder open(Path dir, ModelKind kind) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new java.nio.file.NoSuchFileException(
          dir
              + " (expected a Hugging Face model folder with config.json, *.safetensors and tokenizer.json)");
    }
    if (kind == ModelKind.CAUSAL
        && Files.isRegularFile(dir.resolve(LoraAdapters.CONFIG_FILE))
        && !Files.isRegularFile(dir.resolve("config.json"))) {
      return openAdapter(dir);
    }
    requireFiles(dir);
    if (CheckpointManifest.present(dir)) CheckpointManifest.verify(dir);
    Path cfgFile = dir.resolve("config.json");
    JsonNode raw = HfCheckpoint.readJson(cfgFile);
    if (!raw.isObject()) throw new IOException(cfgFile + ": expected a JSON object");
    DiffusionConfig diffusion = null;
    Qwen2Config config;
    if (kind == ModelKind.MASKED_DIFFUSION) {
      diffusion = DiffusionConfig.read(cfgFile);
      config = diffusion.backbone();
    } else {
      config = Qwen2Config.read(cfgFile);
    }
    Tokenizer tok = Tokenizer.load(dir);
    if (diffusion != null) {
      int mask = diffusion.maskTokenId();
      if (java.util.Arrays.stream(tok.specialTokenIds()).noneMatch(id -> id == mask)) {
        throw new IllegalArgumentException(
            dir.resolve("tokenizer.json")
                + ": config.json's mask_token_id "
                + mask
                + " is not a special token of this tokenizer: a masked-diffusion model's"
                + " tokenizer declares its [MASK] token (e.g. <|mask|>)");
      }
    }
    Path tc = dir.resolve("tokenizer_config.json");
    ChatTemplate chat = Files.isRegularFile(tc) ? ChatTemplate.fromTokenizerConfig(tc) : null;
    Set<Integer> stops = new LinkedHashSet<>(config.eosTokenIds());
    Path gen = dir.resolve("generation_config.json");
    if (Files.isRegularFile(gen)) {
      JsonNode g = HfCheckpoint.readJson(gen).path("eos_token_id");
      if (g.isArray()) g.forEach(x -> stops.add(x.asInt()));
      else if (g.isIntegralNumber()) stops.add(g.asInt());
    }
    return new ModelFolder(
        dir, (ObjectNode) raw, config, diffusion, tok, chat, Set.copyOf(stops), List.of());
  }

  /** An adapter folder: its base from base_model_name_or_path, the adapter on top. */
  private static ModelFolder openAdapter(Path dir) throws IOException {
    String base = LoraAdapters.baseModel(dir);
    Path file = dir.resolve(LoraAdapters.CONFIG_FILE);
    if (base == null || base.isBlank())
      throw new IOException(
          file
              + " names no base_model_name_or_path: give the base explicitly (--model BASE --adapter "
              + dir
              + ")");
    // an absolute path, or one relative to the working directory, else to the adapter folder
    Path basePath = Files.isDirectory(Path.of(base)) ? Path.of(base) : dir.resolve(base);
    if (!Files.isDirectory(basePath))
      throw new java.nio.file.NoSuchFileException(
          basePath
              + " (the base model of the LoRA adapter "
              + dir
              + ", from base_model_name_or_path '"
              + base
              + "', is not a local folder: give it explicitly with --model BASE --adapter "
              + dir
              + ")");
    return open(basePath).withAdapter(dir);
  }

  /**
   * This folder with the LoRA adapter folder {@code adapterDir} on top: {@link #loadModel} then
   * returns the adapted model. Its adapter_config.json is checked now (weights when loading); a
   * manifest, when present, is verified. The returned folder takes over this one's tokenizer: close
   * only the returned one.
   */
  public ModelFolder withAdapter(Path adapterDir) throws IOException {
    if (diffusion != null)
      throw new IllegalArgumentException(
          dir + " is a masked-diffusion model folder: LoRA adapters apply to autoregressive ones");
    LoraAdapters.readConfig(adapterDir);
    if (CheckpointManifest.present(adapterDir)) CheckpointManifest.verify(adapterDir);
    List<Path> chain = new ArrayList<>(adapters);
    chain.add(adapterDir);
    return new ModelFolder(
        dir, rawConfig, config, diffusion, tokenizer, chatTemplate, stopTokenIds, chain);
  }

  /** The adapter folders on top of the base weights, innermost first (empty for a plain model). */
  public List<Path> adapters() {
    return adapters;
  }

  /**
   * Names every missing file at once (config.json, tokenizer.json, weights), so a partial download
   * is diagnosed in one go. PyTorch pickle weights are called out: they are never loaded.
   */
  static void requireFiles(Path dir) throws IOException {
    List<String> missing = new ArrayList<>();
    for (String f : List.of("config.json", "tokenizer.json")) {
      if (!Files.isRegularFile(dir.resolve(f))) missing.add(f);
    }
    if (!Files.isRegularFile(dir.resolve("model.safetensors"))
        && !Files.isRegularFile(dir.resolve("model.safetensors.index.json"))) {
      boolean pickle =
          Files.isRegularFile(dir.resolve("pytorch_model.bin"))
              || Files.isRegularFile(dir.resolve("pytorch_model.bin.index.json"));
      missing.add(
          "model.safetensors (or model.safetensors.index.json with its shards)"
              + (pickle
                  ? "; pytorch_model.bin is present, but grpo4j never loads pickle files: convert it to safetensors"
                  : ""));
    }
    if (!missing.isEmpty()) {
      throw new java.nio.file.NoSuchFileException(
          dir
              + " is missing "
              + String.join(", ", missing)
              + " (a Hugging Face model folder needs config.json, tokenizer.json and safetensors weights)");
    }
  }

  public Path dir() {
    return dir;
  }

  /** The Qwen2 block stack's shape (for a masked-diffusion folder: its backbone's). */
  public Qwen2Config config() {
    return config;
  }

  public ModelKind kind() {
    return diffusion == null ? ModelKind.CAUSAL : ModelKind.MASKED_DIFFUSION;
  }

  /** The masked-diffusion config; only for a folder opened with {@link #openDiffusion}. */
  public DiffusionConfig diffusionConfig() {
    if (diffusion == null)
      throw new IllegalStateException(
          dir + " is an autoregressive model folder, not a diffusion one");
    return diffusion;
  }

  /** config.json as it is on disk (kept so saves preserve fields grpo4j does not model). */
  public ObjectNode rawConfig() {
    return rawConfig.deepCopy();
  }

  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /** The chat template of tokenizer_config.json, if the folder has one. */
  public Optional<ChatTemplate> chatTemplate() {
    return Optional.ofNullable(chatTemplate);
  }

  /** Ids that end generation: config.json's and generation_config.json's eos ids. */
  public Set<Integer> stopTokenIds() {
    return stopTokenIds;
  }

  /**
   * Ids the sampler may produce: the tokenizer's, never the untrained padding rows beyond it
   * (Qwen2.5: 151,665 of 151,936 embedding rows).
   */
  public int samplableVocab() {
    return Math.min(tokenizer.vocabSize(), config.vocabSize());
  }

  /**
   * The weights in {@code dtype} on {@code device}; with adapters, the base with the outermost
   * adapter as a view ({@link Qwen2Model#withLora}) and any inner ones merged into the base.
   */
  public Qwen2Model loadModel(DType dtype, Device device) throws IOException {
    if (diffusion != null)
      throw new IllegalStateException(
          dir + " is a masked-diffusion model folder: load it with loadDiffusionModel");
    Qwen2Model m = HfCheckpoint.loadWeights(dir, config, dtype, device);
    for (int i = 0; i < adapters.size(); i++) {
      Qwen2Model adapted = m.withLora(LoraAdapters.load(adapters.get(i), config, device));
      m = i == adapters.size() - 1 ? adapted : adapted.merged();
    }
    return m;
  }

  /** {@link #loadModel} with every adapter merged: a plain model of W + s·B·A. */
  public Qwen2Model loadMerged(DType dtype, Device device) throws IOException {
    Qwen2Model m = loadModel(dtype, device);
    return m.lora() == null ? m : m.merged();
  }

  /** {@link #loadMerged(DType, Device)} on a device named as on the command line. */
  public Qwen2Model loadMerged(DType dtype, String device) throws IOException {
    return loadMerged(dtype, Torch.device(device));
  }

  /** The masked-diffusion model's weights; only for a folder opened with {@link #openDiffusion}. */
  public MaskedDiffusionModel loadDiffusionModel(DType dtype, Device device) throws IOException {
    return HfCheckpoint.loadDiffusion(dir, diffusionConfig(), dtype, device);
  }

  /** {@link #loadDiffusionModel(DType, Device)} onto a device named as on the command line. */
  public MaskedDiffusionModel loadDiffusionModel(DType dtype, String device) throws IOException {
    return loadDiffusionModel(dtype, Torch.device(device));
  }

  /**
   * Loads the weights onto a device named as on the command line ({@code cpu}, {@code cuda}, {@code
   * cuda:N}; see {@link Torch#device}), so callers outside the tensor packages never hold a JavaCPP
   * {@code Device}.
   */
  public Qwen2Model loadModel(DType dtype, String device) throws IOException {
    return loadModel(dtype, Torch.device(device));
  }

  /**
   * Writes this folder to {@code out} as a clean HF folder with weights stored as {@code storage}
   * (config.json fields grpo4j does not model and the tokenizer files are kept); adapters are
   * merged into the weights (W + s·B·A). The weights are loaded in f32 on the CPU and freed when
   * the export ends.
   */
  public void exportTo(Path out, DType storage) throws IOException {
    try (PointerScope scope = new PointerScope()) {
      if (diffusion != null) {
        HfCheckpoint.saveDiffusion(
            loadDiffusionModel(DType.F32, Torch.device("cpu")),
            out,
            storage,
            rawConfig(),
            dir,
            HfCheckpoint.DEFAULT_MAX_SHARD_BYTES);
        return;
      }
      HfCheckpoint.save(
          loadMerged(DType.F32, Torch.device("cpu")),
          out,
          storage,
          rawConfig(),
          dir,
          HfCheckpoint.DEFAULT_MAX_SHARD_BYTES);
    }
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
