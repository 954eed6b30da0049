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
 */
public final class ModelFolder implements AutoCloseable {
  private final Path dir;
  private final ObjectNode rawConfig;
  private final Qwen2Config config;
  private final Tokenizer tokenizer;
  private final ChatTemplate chatTemplate;
  private final Set<Integer> stopTokenIds;

  private ModelFolder(
      Path dir,
      ObjectNode rawConfig,
      Qwen2Config config,
      Tokenizer tokenizer,
      ChatTemplate chatTemplate,
      Set<Integer> stops) {
    this.dir = dir;
    this.rawConfig = rawConfig;
    this.config = config;
    this.tokenizer = tokenizer;
    this.chatTemplate = chatTemplate;
    this.stopTokenIds = stops;
  }

  public static ModelFolder open(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new java.nio.file.NoSuchFileException(
          dir
              + " (expected a Hugging Face model folder with config.json, *.safetensors and tokenizer.json)");
    }
    requireFiles(dir);
    if (CheckpointManifest.present(dir)) CheckpointManifest.verify(dir);
    Path cfgFile = dir.resolve("config.json");
    JsonNode raw = HfCheckpoint.readJson(cfgFile);
    if (!raw.isObject()) throw new IOException(cfgFile + ": expected a JSON object");
    Qwen2Config config = Qwen2Config.read(cfgFile);
    Tokenizer tok = Tokenizer.load(dir);
    Path tc = dir.resolve("tokenizer_config.json");
    ChatTemplate chat = Files.isRegularFile(tc) ? ChatTemplate.fromTokenizerConfig(tc) : null;
    Set<Integer> stops = new LinkedHashSet<>(config.eosTokenIds());
    Path gen = dir.resolve("generation_config.json");
    if (Files.isRegularFile(gen)) {
      JsonNode g = HfCheckpoint.readJson(gen).path("eos_token_id");
      if (g.isArray()) g.forEach(x -> stops.add(x.asInt()));
      else if (g.isIntegralNumber()) stops.add(g.asInt());
    }
    return new ModelFolder(dir, (ObjectNode) raw, config, tok, chat, Set.copyOf(stops));
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

  public Qwen2Config config() {
    return config;
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

  public Qwen2Model loadModel(DType dtype, Device device) throws IOException {
    return HfCheckpoint.loadWeights(dir, config, dtype, device);
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
   * (config.json fields grpo4j does not model and the tokenizer files are kept). The weights are
   * loaded in f32 on the CPU and freed when the export ends.
   */
  public void exportTo(Path out, DType storage) throws IOException {
    try (PointerScope scope = new PointerScope()) {
      HfCheckpoint.save(
          loadModel(DType.F32, Torch.device("cpu")),
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
