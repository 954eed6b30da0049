package io.grpo4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpo4j.torch.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;

/**
 * Random-initialised model folders of any Qwen2 shape, so a recipe for a large model (e.g. the 1.5B
 * seed recipe) can be smoke-tested without downloading weights. The weights are drawn as {@link
 * Qwen2Model#initialize} does (transformers' {@code _init_weights}); the folder is a complete HF
 * checkpoint (config.json, safetensors, generation_config.json, tokenizer files).
 *
 * <p>The tokenizer is either copied from a folder ({@code --tokenizer}; its vocabulary must fit in
 * {@code vocab_size}) or, without one, the tiny preset's byte-level tokenizer ({@link
 * TinyTokenizer}: 259 ids), which any {@code vocab_size >= 259} accepts; the embedding rows beyond
 * the tokenizer are never sampled ({@link ModelFolder#samplableVocab}). With the byte tokenizer the
 * config's bos/eos ids become the tokenizer's ({@code <|endoftext|>} = 256, {@code <|im_end|>} =
 * 258), so generation stops where the tokenizer says.
 */
public final class RandomModel {
  private RandomModel() {}

  /**
   * What {@link #write} will write.
   *
   * @param config the model's config (bos/eos adjusted for the byte tokenizer)
   * @param json config.json as it will be written, before the storage dtype is filled in
   */
  public record Plan(Qwen2Config config, ObjectNode json) {
    /** Bytes of the safetensors weights in {@code storage}. */
    public long weightBytes(DType storage) {
      return config.parameterCount() * storage.size;
    }
  }

  /**
   * Checks {@code configJson} (read from {@code source}, named in errors) against the tokenizer and
   * returns what will be written. {@code tokenizerVocab} is the tokenizer's size, used only when
   * {@code tokenizer} is given.
   */
  public static Plan plan(JsonNode configJson, String source, Path tokenizer, int tokenizerVocab) {
    if (!configJson.isObject()) {
      throw new IllegalArgumentException(source + ": expected a JSON object");
    }
    ObjectNode json = ((ObjectNode) configJson).deepCopy();
    Qwen2Config c;
    try {
      c = Qwen2Config.fromJson(json);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
    if (tokenizer == null) {
      if (c.vocabSize() < TinyTokenizer.VOCAB_SIZE) {
        throw new IllegalArgumentException(
            source
                + ": vocab_size "
                + c.vocabSize()
                + " is smaller than the byte-level tokenizer's "
                + TinyTokenizer.VOCAB_SIZE
                + " ids; raise it or give --tokenizer DIR");
      }
      c =
          c.withSpecialTokens(
              TinyTokenizer.ENDOFTEXT_ID,
              List.of(TinyTokenizer.ENDOFTEXT_ID, TinyTokenizer.IM_END_ID));
      // toJson keeps an integer eos_token_id of the original: drop the old ids first
      json.remove("bos_token_id");
      json.remove("eos_token_id");
    } else if (tokenizerVocab > c.vocabSize()) {
      throw new IllegalArgumentException(
          source
              + ": vocab_size "
              + c.vocabSize()
              + " is smaller than the "
              + tokenizerVocab
              + " ids of the tokenizer in "
              + tokenizer
              + ": its ids would index past the embedding");
    }
    return new Plan(c, json);
  }

  /**
   * Plans and writes a random model folder into {@code out}: {@code configFile} gives the shape,
   * {@code tokenizer} (nullable) the tokenizer folder. Returns the plan that was written. The same
   * inputs and seed give byte-identical files.
   */
  public static Plan write(Path configFile, Path tokenizer, Path out, long seed, DType storage)
      throws IOException {
    JsonNode raw = HfCheckpoint.readJson(configFile);
    int vocab = tokenizer == null ? 0 : Tokenizer.load(tokenizer).vocabSize();
    Plan p = plan(raw, configFile.toString(), tokenizer, vocab);
    Files.createDirectories(out);
    if (tokenizer == null) {
      TinyTokenizer.writeFiles(out, p.config().maxPositionEmbeddings());
    }
    try (PointerScope scope = new PointerScope()) {
      // drawn in f32 and cast tensor by tensor, so the folder equals an f32 init saved as `storage`
      Qwen2Model model = Qwen2Model.initialize(p.config(), seed, storage, new Device("cpu"));
      HfCheckpoint.save(
          model, out, storage, p.json(), tokenizer, HfCheckpoint.DEFAULT_MAX_SHARD_BYTES);
    }
    return p;
  }
}
