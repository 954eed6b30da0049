package io.grpo4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The {@code config.json} of a masked-diffusion language model (MDM, as LLaDA): the Qwen2 block
 * stack ({@code backbone}: the same weights, names and shapes) run with bidirectional attention,
 * and one extra vocabulary id, {@code [MASK]}, that stands for a position not yet generated.
 *
 * <p>On disk the file is a Qwen2 config with {@code "model_type": "qwen2_mdm"}, {@code
 * "architectures": ["Qwen2MaskedDiffusionLM"]} and {@code "mask_token_id"}: the model type is what
 * keeps it from being loaded as an autoregressive checkpoint ({@link Qwen2Config#fromJson} refuses
 * it) and what {@link #fromJson} requires, so neither kind of model is ever run as the other.
 *
 * @param backbone the block stack's shape; its {@code vocabSize} counts the [MASK] id
 * @param maskTokenId the [MASK] id, in [0, vocab_size), not an end-of-sequence id
 */
public record DiffusionConfig(Qwen2Config backbone, int maskTokenId) {
  /** {@code model_type} of a masked-diffusion checkpoint. */
  public static final String MODEL_TYPE = "qwen2_mdm";

  /** {@code architectures[0]} written for a masked-diffusion checkpoint. */
  public static final String ARCHITECTURE = "Qwen2MaskedDiffusionLM";

  public DiffusionConfig {
    if (backbone == null) throw new IllegalArgumentException("backbone config must be set");
    if (maskTokenId < 0 || maskTokenId >= backbone.vocabSize()) {
      throw new IllegalArgumentException(
          "mask_token_id must be in [0, vocab_size="
              + backbone.vocabSize()
              + "), got "
              + maskTokenId);
    }
    if (backbone.eosTokenIds().contains(maskTokenId)) {
      throw new IllegalArgumentException(
          "mask_token_id " + maskTokenId + " is also an eos_token_id: the two must differ");
    }
  }

  /**
   * The tiny diffusion preset: the tiny Qwen2 shape (about 3.2 M parameters) over the byte-level
   * tokenizer with {@code <|mask|>} = 259 added ({@link TinyTokenizer#MASK_ID}), so 260 ids.
   */
  public static DiffusionConfig tiny() {
    return new DiffusionConfig(
        Qwen2Config.tiny().withVocabSize(TinyTokenizer.VOCAB_SIZE_WITH_MASK),
        TinyTokenizer.MASK_ID);
  }

  /** True when {@code root} (a parsed config.json) declares this model type. */
  public static boolean declaredBy(JsonNode root) {
    return MODEL_TYPE.equals(root.path("model_type").asText(""));
  }

  /** Reads and validates {@code config.json}; errors name the file and field. */
  public static DiffusionConfig read(Path file) throws IOException {
    JsonNode root = HfCheckpoint.readJson(file);
    try {
      return fromJson(root);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /** Validates a parsed config.json of a masked-diffusion model. */
  public static DiffusionConfig fromJson(JsonNode root) {
    if (!root.isObject()) throw new IllegalArgumentException("config must be a JSON object");
    String type = root.path("model_type").asText("qwen2");
    if (!type.equals(MODEL_TYPE)) {
      throw new IllegalArgumentException(
          "model_type '"
              + type
              + "' is not a masked-diffusion checkpoint (expected '"
              + MODEL_TYPE
              + "'): an autoregressive model has no [MASK] token and was trained with causal"
              + " attention; use it with model.architecture=causal");
    }
    JsonNode mask = root.get("mask_token_id");
    if (mask == null || !mask.isIntegralNumber() || !mask.canConvertToInt()) {
      throw new IllegalArgumentException(
          "field 'mask_token_id' must be an integer (the [MASK] id), got " + mask);
    }
    return new DiffusionConfig(Qwen2Config.backboneFromJson(root), mask.asInt());
  }

  /** This config as written to disk, merged over {@code original} (may be null). */
  public ObjectNode toJson(ObjectNode original, String dtypeName) {
    ObjectNode o = backbone.toJson(original, dtypeName);
    o.putArray("architectures").add(ARCHITECTURE);
    o.put("model_type", MODEL_TYPE);
    o.put("mask_token_id", maskTokenId);
    o.put("is_causal", false);
    o.put("use_cache", false); // no KV cache: every denoising step attends over the whole row
    return o;
  }
}
