package io.grpo4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.torch.AtomicFiles;
import io.grpo4j.torch.CheckpointFormatException;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.SafetensorsCheckpoint;
import io.grpo4j.torch.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.Set;
import java.util.stream.Collectors;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

/**
 * Reads and writes Hugging Face model folders: {@code config.json}, {@code model.safetensors} (or
 * shards + {@code model.safetensors.index.json}), {@code generation_config.json} and the tokenizer
 * files, so Python transformers and vLLM load what grpo4j saves.
 */
public final class HfCheckpoint {
  private HfCheckpoint() {}

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Default shard size: HF's own default for {@code save_pretrained} is 5 GB. */
  public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

  /** Tokenizer-side files copied through unchanged when a model is saved. */
  static final List<String> TOKENIZER_FILES =
      List.of(
          "tokenizer.json",
          "tokenizer_config.json",
          "vocab.json",
          "merges.txt",
          "special_tokens_map.json",
          "added_tokens.json",
          "chat_template.jinja",
          "chat_template.json");

  /**
   * Checkpoint tensors that carry no weights (old transformers saved RoPE's inverse frequencies).
   */
  private static boolean ignorable(String name) {
    return name.endsWith("rotary_emb.inv_freq");
  }

  /**
   * Loads the weights of {@code dir} (any of F32/BF16/F16, sharded or not) into {@code dtype} on
   * {@code device}. Missing or unexpected tensor names and wrong shapes are errors naming them.
   */
  public static Qwen2Model loadWeights(Path dir, Qwen2Config config, DType dtype, Device device)
      throws IOException {
    List<String> names = Qwen2Model.parameterNames(config);
    try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
      Set<String> ignore =
          ckpt.names().stream().filter(HfCheckpoint::ignorable).collect(Collectors.toSet());
      if (config.tieWordEmbeddings() && ckpt.names().contains("lm_head.weight")) {
        ignore.add("lm_head.weight"); // some exporters write the tied head anyway
      }
      ckpt.requireNames(new HashSet<>(names), ignore);
      // laid out as the model keeps them (q/k/v and gate/up fused): filled in place, no copy later
      SequencedMap<String, Tensor> params =
          Qwen2Model.allocate(config, io.grpo4j.torch.Tensors.options(dtype, device));
      for (String name : names) {
        TensorInfo info = ckpt.info(name);
        long[] want = Qwen2Model.shapeOf(config, name);
        if (!java.util.Arrays.equals(info.shape(), want)) {
          throw new CheckpointFormatException(
              ckpt.fileOf(name),
              name,
              "shape "
                  + java.util.Arrays.toString(info.shape())
                  + " but config.json implies "
                  + java.util.Arrays.toString(want));
        }
        if (!info.dtype().isFloatingPoint()) {
          throw new CheckpointFormatException(
              ckpt.fileOf(name),
              name,
              "dtype " + info.dtype() + ", expected a float dtype (F32, BF16, F16)");
        }
        try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
          params.get(name).copy_(ckpt.read(name));
        }
      }
      return new Qwen2Model(config, params);
    }
  }

  /**
   * Writes {@code model} as an HF folder into {@code dir} with weights stored in {@code storage}.
   * {@code original} is the source folder's config.json (its extra fields are kept; may be null);
   * tokenizer files and generation_config.json are copied from {@code source} when it is given.
   */
  public static void save(
      Qwen2Model model,
      Path dir,
      DType storage,
      ObjectNode original,
      Path source,
      long maxShardBytes)
      throws IOException {
    if (model.lora() != null)
      throw new IllegalArgumentException(
          "a model with LoRA adapters saves as its adapters (LoraAdapters.save) or merged (merged())");
    write(
        model.parameters(),
        model.config().toJson(original, storage.torchName()),
        model.config(),
        dir,
        storage,
        source,
        maxShardBytes);
  }

  /**
   * Loads a masked-diffusion model's weights (the Qwen2 block stack's names and shapes, {@link
   * #loadWeights}) from {@code dir}.
   */
  public static MaskedDiffusionModel loadDiffusion(
      Path dir, DiffusionConfig config, DType dtype, Device device) throws IOException {
    return new MaskedDiffusionModel(config, loadWeights(dir, config.backbone(), dtype, device));
  }

  /**
   * Writes a masked-diffusion model as {@link #save} writes a Qwen2 model, with its own config.json
   * ({@link DiffusionConfig#toJson}: model_type {@code qwen2_mdm}, the mask id).
   */
  public static void saveDiffusion(
      MaskedDiffusionModel model,
      Path dir,
      DType storage,
      ObjectNode original,
      Path source,
      long maxShardBytes)
      throws IOException {
    write(
        model.parameters(),
        model.config().toJson(original, storage.torchName()),
        model.config().backbone(),
        dir,
        storage,
        source,
        maxShardBytes);
  }

  private static void write(
      SequencedMap<String, Tensor> params,
      ObjectNode cfg,
      Qwen2Config shape,
      Path dir,
      DType storage,
      Path source,
      long maxShardBytes)
      throws IOException {
    Files.createDirectories(dir);
    SequencedMap<String, Tensor> out = new LinkedHashMap<>();
    for (var e : params.entrySet()) {
      out.put(
          e.getKey(), e.getValue().detach().to(new Device("cpu"), storage.scalarType).contiguous());
    }
    SafetensorsCheckpoint.write(dir, out, maxShardBytes);
    AtomicFiles.writeString(dir.resolve("config.json"), JSON.writeValueAsString(cfg) + "\n");
    if (source != null
        && !source.toAbsolutePath().normalize().equals(dir.toAbsolutePath().normalize())) {
      for (String f : TOKENIZER_FILES) {
        Path from = source.resolve(f);
        if (Files.isRegularFile(from))
          AtomicFiles.write(dir.resolve(f), os -> Files.copy(from, os));
      }
      Path gen = source.resolve("generation_config.json");
      if (Files.isRegularFile(gen)) {
        AtomicFiles.write(dir.resolve("generation_config.json"), os -> Files.copy(gen, os));
        return;
      }
    }
    if (!Files.exists(dir.resolve("generation_config.json"))) {
      AtomicFiles.writeString(
          dir.resolve("generation_config.json"),
          JSON.writeValueAsString(generationConfig(shape)) + "\n");
    }
  }

  /** A generation_config.json for a model that has none: stop on its eos ids. */
  static ObjectNode generationConfig(Qwen2Config c) {
    ObjectNode g = JSON.createObjectNode();
    if (c.bosTokenId() != null) g.put("bos_token_id", c.bosTokenId());
    if (!c.eosTokenIds().isEmpty()) {
      var a = g.putArray("eos_token_id");
      c.eosTokenIds().forEach(a::add);
      g.put("pad_token_id", c.eosTokenIds().get(c.eosTokenIds().size() - 1));
    }
    g.put("transformers_version", "4.45.0");
    return g;
  }

  /** Parses a JSON file into a tree, with errors naming the file. */
  static JsonNode readJson(Path file) throws IOException {
    try {
      return JSON.readTree(
          Files.readAllBytes(file)); // bytes: bad UTF-8 is reported as a JSON error
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IOException(file + ": invalid JSON: " + e.getOriginalMessage(), e);
    }
  }
}
