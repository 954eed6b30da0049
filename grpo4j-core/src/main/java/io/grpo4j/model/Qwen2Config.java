package io.grpo4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The fields of a Hugging Face Qwen2 {@code config.json} that the architecture depends on. Features
 * grpo4j does not implement (sliding-window attention, RoPE scaling, activations other than SiLU)
 * are refused when the file is read, so a model never runs with silently wrong maths.
 *
 * @param headDim per-head width; HF derives it as hidden_size / num_attention_heads unless the file
 *     says {@code head_dim}
 * @param eosTokenIds the ids that end generation ({@code eos_token_id}, int or list in the file)
 * @param torchDtype the storage dtype named in the file, e.g. {@code bfloat16}
 */
public record Qwen2Config(
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int numHiddenLayers,
    int numAttentionHeads,
    int numKeyValueHeads,
    int headDim,
    int maxPositionEmbeddings,
    double ropeTheta,
    double rmsNormEps,
    boolean tieWordEmbeddings,
    double initializerRange,
    Integer bosTokenId,
    List<Integer> eosTokenIds,
    String torchDtype) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public Qwen2Config {
    eosTokenIds = List.copyOf(eosTokenIds);
    requirePositive("vocab_size", vocabSize);
    requirePositive("hidden_size", hiddenSize);
    requirePositive("intermediate_size", intermediateSize);
    requirePositive("num_hidden_layers", numHiddenLayers);
    requirePositive("num_attention_heads", numAttentionHeads);
    requirePositive("num_key_value_heads", numKeyValueHeads);
    requirePositive("head_dim", headDim);
    requirePositive("max_position_embeddings", maxPositionEmbeddings);
    if (numAttentionHeads % numKeyValueHeads != 0) {
      throw new IllegalArgumentException(
          "num_attention_heads ("
              + numAttentionHeads
              + ") must be a multiple of num_key_value_heads ("
              + numKeyValueHeads
              + ")");
    }
    if (headDim % 2 != 0) {
      throw new IllegalArgumentException(
          "head_dim must be even for rotary embeddings, got " + headDim);
    }
    if (!(ropeTheta > 0))
      throw new IllegalArgumentException("rope_theta must be > 0, got " + ropeTheta);
    if (!(rmsNormEps > 0))
      throw new IllegalArgumentException("rms_norm_eps must be > 0, got " + rmsNormEps);
  }

  private static void requirePositive(String field, int v) {
    if (v <= 0) throw new IllegalArgumentException(field + " must be > 0, got " + v);
  }

  /** The tiny preset: about 3.2 M parameters over the 259-id byte-level tokenizer. */
  public static Qwen2Config tiny() {
    return byteLevel(256, 768, 4, 4, 2, 64, 512);
  }

  /** A Qwen2-shaped model of about 25 M parameters (hidden 512, 8 layers, 8 heads, 4 KV heads). */
  public static Qwen2Config bench25m() {
    return byteLevel(512, 1536, 8, 8, 4, 64, 2048);
  }

  /**
   * A preset over the 259-id byte-level tokenizer (bos 256, eos 256 and 258): rope_theta 1e4,
   * rms_norm_eps 1e-6, tied embeddings, initializer_range 0.02, float32.
   */
  private static Qwen2Config byteLevel(
      int hidden, int intermediate, int layers, int heads, int kvHeads, int headDim, int maxPos) {
    return new Qwen2Config(
        259,
        hidden,
        intermediate,
        layers,
        heads,
        kvHeads,
        headDim,
        maxPos,
        10000.0,
        1e-6,
        true,
        0.02,
        256,
        List.of(256, 258),
        "float32");
  }

  /** This config with other bos/eos ids (e.g. those of a different tokenizer). */
  public Qwen2Config withSpecialTokens(Integer bos, List<Integer> eos) {
    return new Qwen2Config(
        vocabSize,
        hiddenSize,
        intermediateSize,
        numHiddenLayers,
        numAttentionHeads,
        numKeyValueHeads,
        headDim,
        maxPositionEmbeddings,
        ropeTheta,
        rmsNormEps,
        tieWordEmbeddings,
        initializerRange,
        bos,
        eos,
        torchDtype);
  }

  /** This config with another vocabulary size (e.g. one more id for a [MASK] token). */
  public Qwen2Config withVocabSize(int vocab) {
    return new Qwen2Config(
        vocab,
        hiddenSize,
        intermediateSize,
        numHiddenLayers,
        numAttentionHeads,
        numKeyValueHeads,
        headDim,
        maxPositionEmbeddings,
        ropeTheta,
        rmsNormEps,
        tieWordEmbeddings,
        initializerRange,
        bosTokenId,
        eosTokenIds,
        torchDtype);
  }

  public int groups() {
    return numAttentionHeads / numKeyValueHeads;
  }

  /** Number of parameters, counted from the shapes alone (tied lm_head counted once). */
  public long parameterCount() {
    long h = hiddenSize;
    long q = (long) numAttentionHeads * headDim;
    long kv = (long) numKeyValueHeads * headDim;
    long attention = h * q + q + 2 * (h * kv + kv) + q * h;
    long mlp = 3 * h * intermediateSize;
    long norms = 2 * h;
    long perLayer = attention + mlp + norms;
    long embed = (long) vocabSize * h;
    return embed + numHiddenLayers * perLayer + h + (tieWordEmbeddings ? 0 : embed);
  }

  /** Reads and validates {@code config.json}; errors name the file and field. */
  public static Qwen2Config read(Path file) throws IOException {
    JsonNode root;
    try {
      root =
          JSON.readTree(
              Files.readAllBytes(
                  file)); // bytes: Jackson reports bad UTF-8 as a JSON error with its position
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(file + " (a model folder needs config.json)");
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IOException(file + ": invalid JSON: " + e.getOriginalMessage(), e);
    }
    try {
      return fromJson(root);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Validates a parsed {@code config.json} of an autoregressive Qwen2 model. A masked-diffusion
   * checkpoint ({@link DiffusionConfig#MODEL_TYPE}) is refused here with a message saying so: its
   * weights would load into the causal decoder without complaint and produce nonsense.
   */
  public static Qwen2Config fromJson(JsonNode root) {
    if (!root.isObject()) throw new IllegalArgumentException("config must be a JSON object");
    String modelType = root.path("model_type").asText("qwen2");
    if (modelType.equals(DiffusionConfig.MODEL_TYPE)) {
      throw new IllegalArgumentException(
          "model_type '"
              + modelType
              + "' is a masked-diffusion checkpoint (bidirectional attention, a [MASK] token), not"
              + " an autoregressive one: the causal sampler and trainers cannot run it; use it with"
              + " model.architecture=masked_diffusion (docs/diffusion.md)");
    }
    if (!modelType.equals("qwen2")) {
      throw new IllegalArgumentException(
          "model_type '" + modelType + "' is not supported: grpo4j implements qwen2");
    }
    return backboneFromJson(root);
  }

  /**
   * The Qwen2 fields of a config.json whatever its {@code model_type}: the shape of the block stack
   * that a Qwen2 model and a masked-diffusion model ({@link DiffusionConfig}) share.
   */
  static Qwen2Config backboneFromJson(JsonNode root) {
    if (!root.isObject()) throw new IllegalArgumentException("config must be a JSON object");
    String act = root.path("hidden_act").asText("silu");
    if (!act.equals("silu")) {
      throw new IllegalArgumentException(
          "hidden_act '" + act + "' is not supported: Qwen2 uses silu");
    }
    if (root.path("use_sliding_window").asBoolean(false)) {
      throw new IllegalArgumentException(
          "use_sliding_window=true is not supported (sliding-window attention is not implemented)");
    }
    JsonNode scaling = root.get("rope_scaling");
    if (scaling != null && !scaling.isNull()) {
      throw new IllegalArgumentException(
          "rope_scaling " + scaling + " is not supported (only plain RoPE with rope_theta)");
    }
    double theta;
    JsonNode params = root.get("rope_parameters");
    if (params != null && params.isObject()) {
      String type = params.path("rope_type").asText("default");
      if (!type.equals("default")) {
        throw new IllegalArgumentException(
            "rope_parameters.rope_type '" + type + "' is not supported (only 'default')");
      }
      theta = number(params, "rope_theta", "rope_parameters.rope_theta").asDouble();
    } else {
      JsonNode t = root.get("rope_theta");
      theta =
          t == null || t.isNull() ? 10000.0 : number(root, "rope_theta", "rope_theta").asDouble();
    }
    int hidden = integer(root, "hidden_size");
    int heads = integer(root, "num_attention_heads");
    int kvHeads =
        root.has("num_key_value_heads") && !root.get("num_key_value_heads").isNull()
            ? integer(root, "num_key_value_heads")
            : heads;
    int headDim;
    if (root.has("head_dim") && !root.get("head_dim").isNull()) {
      headDim = integer(root, "head_dim");
    } else {
      if (heads <= 0)
        throw new IllegalArgumentException("num_attention_heads must be > 0, got " + heads);
      if (hidden % heads != 0) {
        throw new IllegalArgumentException(
            "hidden_size "
                + hidden
                + " is not divisible by num_attention_heads "
                + heads
                + " and head_dim is absent");
      }
      headDim = hidden / heads;
    }
    List<Integer> eos = new ArrayList<>();
    JsonNode e = root.get("eos_token_id");
    if (e != null && e.isArray()) {
      for (JsonNode x : e) eos.add(x.asInt());
    } else if (e != null && e.isIntegralNumber()) {
      eos.add(e.asInt());
    } else if (e != null && !e.isNull()) {
      throw new IllegalArgumentException(
          "eos_token_id must be an integer or a list of integers, got " + e);
    }
    JsonNode b = root.get("bos_token_id");
    return new Qwen2Config(
        integer(root, "vocab_size"),
        hidden,
        integer(root, "intermediate_size"),
        integer(root, "num_hidden_layers"),
        heads,
        kvHeads,
        headDim,
        root.has("max_position_embeddings") ? integer(root, "max_position_embeddings") : 32768,
        theta,
        root.has("rms_norm_eps") ? number(root, "rms_norm_eps", "rms_norm_eps").asDouble() : 1e-6,
        root.path("tie_word_embeddings").asBoolean(false),
        root.has("initializer_range")
            ? number(root, "initializer_range", "initializer_range").asDouble()
            : 0.02,
        b == null || b.isNull() ? null : b.asInt(),
        eos,
        root.path("torch_dtype").asText(root.path("dtype").asText("float32")));
  }

  private static int integer(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull())
      throw new IllegalArgumentException("missing field '" + field + "'");
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw new IllegalArgumentException("field '" + field + "' must be an integer, got " + n);
    }
    return n.asInt();
  }

  private static JsonNode number(JsonNode obj, String field, String path) {
    JsonNode n = obj.get(field);
    if (n == null || !n.isNumber())
      throw new IllegalArgumentException("field '" + path + "' must be a number, got " + n);
    return n;
  }

  /**
   * This config as HF writes it for a Qwen2ForCausalLM, merged over {@code original} (fields grpo4j
   * does not model, such as {@code max_window_layers}, are kept as they were).
   */
  public ObjectNode toJson(ObjectNode original, String dtypeName) {
    ObjectNode o = original == null ? JSON.createObjectNode() : original.deepCopy();
    if (!o.has("architectures")) o.putArray("architectures").add("Qwen2ForCausalLM");
    o.put("attention_dropout", o.path("attention_dropout").asDouble(0.0));
    if (bosTokenId != null) o.put("bos_token_id", bosTokenId);
    if (eosTokenIds.size() == 1) {
      o.put("eos_token_id", eosTokenIds.get(0));
    } else if (!eosTokenIds.isEmpty()
        && !(o.get("eos_token_id") != null && o.get("eos_token_id").isIntegralNumber())) {
      ArrayNode a = o.putArray("eos_token_id");
      eosTokenIds.forEach(a::add);
    }
    o.put("hidden_act", "silu");
    o.put("hidden_size", hiddenSize);
    o.put("initializer_range", initializerRange);
    o.put("intermediate_size", intermediateSize);
    o.put("max_position_embeddings", maxPositionEmbeddings);
    if (!o.has("max_window_layers")) o.put("max_window_layers", numHiddenLayers);
    o.put("model_type", "qwen2");
    o.put("num_attention_heads", numAttentionHeads);
    o.put("num_hidden_layers", numHiddenLayers);
    o.put("num_key_value_heads", numKeyValueHeads);
    if (headDim != hiddenSize / numAttentionHeads || o.has("head_dim")) o.put("head_dim", headDim);
    o.put("rms_norm_eps", rmsNormEps);
    if (o.has("rope_parameters")) {
      ((ObjectNode) o.get("rope_parameters")).put("rope_theta", ropeTheta);
    } else {
      o.put("rope_theta", ropeTheta);
    }
    if (!o.has("sliding_window")) o.putNull("sliding_window");
    o.put("tie_word_embeddings", tieWordEmbeddings);
    o.put("torch_dtype", dtypeName);
    if (!o.has("transformers_version")) o.put("transformers_version", "4.45.0");
    o.put("use_cache", true);
    o.put("use_sliding_window", false);
    o.put("vocab_size", vocabSize);
    return o;
  }
}
