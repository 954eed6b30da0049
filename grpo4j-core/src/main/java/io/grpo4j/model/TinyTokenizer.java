package io.grpo4j.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The tiny preset's tokenizer, written locally because nothing can be downloaded: a byte-level BPE
 * {@code tokenizer.json} without merges, so ids 0..255 are exactly the UTF-8 bytes of the text,
 * followed by Qwen's three special tokens {@code <|endoftext|>} = 256, {@code <|im_start|>} = 257,
 * {@code <|im_end|>} = 258 — and a {@code tokenizer_config.json} with a ChatML template.
 *
 * <p>The files follow the structure of Qwen2's own, so Python {@code transformers}' AutoTokenizer
 * loads the folder unchanged, with three deliberate differences:
 *
 * <ul>
 *   <li>{@code normalizer} is null (Qwen's is NFC): every byte sequence then round-trips exactly,
 *       which the validator's byte-level prefix scores rely on.
 *   <li>the pre-tokenizer is a bare ByteLevel with {@code use_regex=false} (Qwen splits with a
 *       regex first): with no merges every byte is its own token whatever the split, so the regex
 *       would only cost time and tie results to a regex engine.
 *   <li>{@code tokenizer_class} is {@code PreTrainedTokenizerFast}, not {@code Qwen2Tokenizer}:
 *       transformers 5's Qwen2Tokenizer rebuilds Qwen's NFC normalizer and split regex from its
 *       class definition and ignores the file's, so Python would then encode non-NFC text
 *       differently from us. The generic class takes tokenizer.json as written (v4 and v5).
 * </ul>
 *
 * <p>The chat template is ChatML as Qwen writes it, without Qwen's default system prompt (a tiny
 * model's context is short) and without tools. Output is byte-identical on every call: fields in a
 * fixed order, no timestamps.
 */
public final class TinyTokenizer {

  /** 256 byte tokens plus 3 special tokens. */
  public static final int VOCAB_SIZE = 259;

  public static final String ENDOFTEXT = "<|endoftext|>";
  public static final String IM_START = "<|im_start|>";
  public static final String IM_END = "<|im_end|>";

  public static final int ENDOFTEXT_ID = 256;
  public static final int IM_START_ID = 257;
  public static final int IM_END_ID = 258;

  /**
   * The masked-diffusion model's {@code [MASK]} token ({@link DiffusionConfig}): written only into
   * a diffusion model's tokenizer files, as the fourth special token, so autoregressive folders
   * keep their 259 ids and byte-identical files.
   */
  public static final String MASK = "<|mask|>";

  public static final int MASK_ID = 259;

  /** 256 byte tokens, 3 special tokens and {@code <|mask|>}. */
  public static final int VOCAB_SIZE_WITH_MASK = 260;

  /** {@code model_max_length} written when none is given. */
  public static final int DEFAULT_MODEL_MAX_LENGTH = 2048;

  /** ChatML: each message as {@code <|im_start|>role\ncontent<|im_end|>\n}. */
  public static final String CHAT_TEMPLATE =
      """
      {%- for message in messages %}
          {{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}
      {%- endfor %}
      {%- if add_generation_prompt %}
          {{- '<|im_start|>assistant\\n' }}
      {%- endif %}
      """
          .stripTrailing();

  private static final String[] SPECIALS = {ENDOFTEXT, IM_START, IM_END, MASK};

  private TinyTokenizer() {}

  /** Writes tokenizer.json and tokenizer_config.json into {@code dir} (created if needed). */
  public static void writeFiles(Path dir) throws IOException {
    writeFiles(dir, DEFAULT_MODEL_MAX_LENGTH);
  }

  /** As {@link #writeFiles(Path)}, with the model's context length as {@code model_max_length}. */
  public static void writeFiles(Path dir, int modelMaxLength) throws IOException {
    writeFiles(dir, modelMaxLength, false);
  }

  /**
   * As {@link #writeFiles(Path, int)}; with {@code maskToken} the files also declare {@code
   * <|mask|>} = {@link #MASK_ID} (a masked-diffusion model's tokenizer, {@code mask_token} in
   * tokenizer_config.json).
   */
  public static void writeFiles(Path dir, int modelMaxLength, boolean maskToken)
      throws IOException {
    if (modelMaxLength <= 0) {
      throw new IllegalArgumentException(
          "model_max_length must be positive, got " + modelMaxLength);
    }
    Files.createDirectories(dir);
    int specials = maskToken ? SPECIALS.length : SPECIALS.length - 1;
    writeAtomically(dir.resolve("tokenizer.json"), json(tokenizerJson(specials)));
    writeAtomically(
        dir.resolve("tokenizer_config.json"), json(tokenizerConfig(modelMaxLength, specials)));
  }

  static Map<String, Object> tokenizerJson() {
    return tokenizerJson(SPECIALS.length - 1);
  }

  /** tokenizer.json with the first {@code specials} special tokens. */
  private static Map<String, Object> tokenizerJson(int specials) {
    Map<String, Object> byteLevel = new LinkedHashMap<>();
    byteLevel.put("type", "ByteLevel");
    byteLevel.put("add_prefix_space", false);
    byteLevel.put("trim_offsets", false);
    byteLevel.put("use_regex", false);

    Map<String, Object> vocab = new LinkedHashMap<>();
    for (int b = 0; b < 256; b++) {
      vocab.put(String.valueOf(ByteLevelAlphabet.charOf(b)), b);
    }
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("type", "BPE");
    model.put("dropout", null);
    model.put("unk_token", null);
    model.put("continuing_subword_prefix", "");
    model.put("end_of_word_suffix", "");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.put("ignore_merges", false);
    model.put("vocab", vocab);
    model.put("merges", List.of());

    Map<String, Object> root = new LinkedHashMap<>();
    root.put("version", "1.0");
    root.put("truncation", null);
    root.put("padding", null);
    List<Object> added = new ArrayList<>();
    for (int i = 0; i < specials; i++) added.add(addedToken(i));
    root.put("added_tokens", added);
    root.put("normalizer", null);
    root.put("pre_tokenizer", byteLevel);
    root.put("post_processor", byteLevel);
    root.put("decoder", byteLevel);
    root.put("model", model);
    return root;
  }

  /** Special token {@code i} as tokenizer.json's added_tokens list holds it, in its key order. */
  private static Map<String, Object> addedToken(int i) {
    Map<String, Object> token = new LinkedHashMap<>();
    token.put("id", 256 + i);
    token.put("content", SPECIALS[i]);
    token.put("single_word", false);
    token.put("lstrip", false);
    token.put("rstrip", false);
    token.put("normalized", false);
    token.put("special", true);
    return token;
  }

  /**
   * The fields of Qwen2.5's tokenizer_config.json, in transformers' (sorted) order (see class doc
   * for tokenizer_class).
   */
  static Map<String, Object> tokenizerConfig(int modelMaxLength) {
    return tokenizerConfig(modelMaxLength, SPECIALS.length - 1);
  }

  private static Map<String, Object> tokenizerConfig(int modelMaxLength, int specials) {
    Map<String, Object> addedDecoder = new LinkedHashMap<>();
    for (int i = 0; i < specials; i++) {
      Map<String, Object> token = new TreeMap<>(addedToken(i)); // sorted, as transformers writes
      token.remove("id"); // the key of added_tokens_decoder
      addedDecoder.put(String.valueOf(256 + i), token);
    }
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("add_bos_token", false);
    config.put("add_prefix_space", false);
    config.put("added_tokens_decoder", addedDecoder);
    config.put("additional_special_tokens", List.of(IM_START, IM_END));
    config.put("bos_token", null);
    config.put("chat_template", CHAT_TEMPLATE);
    config.put("clean_up_tokenization_spaces", false);
    config.put("eos_token", IM_END);
    config.put("errors", "replace");
    if (specials > 3) config.put("mask_token", MASK);
    config.put("model_max_length", modelMaxLength);
    config.put("pad_token", ENDOFTEXT);
    config.put("split_special_tokens", false);
    config.put("tokenizer_class", "PreTrainedTokenizerFast");
    config.put("unk_token", null);
    return config;
  }

  /** As transformers writes JSON: {@code json.dumps(indent=2, ensure_ascii=False) + "\n"}. */
  private static byte[] json(Map<String, Object> value) {
    String text = PythonJson.dumps(value, PythonJson.Options.of(false, 2, null, false)) + "\n";
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static void writeAtomically(Path target, byte[] content) throws IOException {
    // A fixed temp name (not createTempFile) so the file gets the usual permissions, not 0600.
    Path temp = target.resolveSibling(target.getFileName() + ".tmp");
    try {
      Files.write(temp, content);
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
