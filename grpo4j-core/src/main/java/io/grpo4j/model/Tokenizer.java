package io.grpo4j.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A Hugging Face {@code tokenizer.json}, run by the Rust tokenizers library through DJL, so that
 * encode and decode are exactly what Python {@code transformers} computes.
 *
 * <p>DJL is created with truncation, padding and added special tokens all off: otherwise it cuts
 * every text at 512 tokens and wraps it in BOS/EOS, which a chat template already wrote. Special
 * tokens written in the text ({@code <|im_start|>}) are recognised and become their ids.
 *
 * <p>Besides DJL, the vocabulary is read with Jackson to answer id/string look-ups and to give
 * {@link #tokenBytes}: the raw bytes each token adds to the text. The trainer needs those to put
 * the verifier's prefix scores on token boundaries, even where one UTF-8 character is split over
 * two tokens (which a decoded string cannot show).
 */
public final class Tokenizer implements AutoCloseable {

  static {
    // Without it DJL probes a cloud metadata address and may try to download natives.
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final HuggingFaceTokenizer hf;
  private final String[] tokenStrings; // by id; null where an id has no token
  private final Map<String, Integer> ids;
  private final BitSet special;
  private final byte[][] bytesById; // null unless the vocabulary is byte-level
  private final SpecialTokens configured;
  private volatile boolean closed;

  /** eos/bos/pad as named in tokenizer_config.json (null where not given). */
  private record SpecialTokens(String bos, String eos, String pad) {}

  private Tokenizer(
      Path file,
      HuggingFaceTokenizer hf,
      String[] tokenStrings,
      Map<String, Integer> ids,
      BitSet special,
      byte[][] bytesById,
      SpecialTokens configured) {
    this.file = file;
    this.hf = hf;
    this.tokenStrings = tokenStrings;
    this.ids = ids;
    this.special = special;
    this.bytesById = bytesById;
    this.configured = configured;
  }

  /**
   * Loads {@code modelDir/tokenizer.json} (and {@code tokenizer_config.json} when present, for the
   * eos/bos/pad names).
   *
   * @throws IOException naming the file when it is missing, not JSON, or not a tokenizer
   */
  public static Tokenizer load(Path modelDir) throws IOException {
    Path file = modelDir.resolve("tokenizer.json");
    JsonNode root = readJson(file);
    Vocabulary vocab = Vocabulary.of(root, file);
    SpecialTokens configured = readConfig(modelDir.resolve("tokenizer_config.json"));

    HuggingFaceTokenizer hf;
    try {
      hf =
          HuggingFaceTokenizer.builder()
              .optTokenizerPath(file)
              .optAddSpecialTokens(false)
              .optTruncation(false)
              .optPadding(false)
              .build();
    } catch (IOException | RuntimeException e) {
      throw new IOException(
          file + ": the tokenizers library rejected this tokenizer.json: " + e.getMessage(), e);
    }
    byte[][] bytes = isByteLevel(root) ? vocab.byteLevelBytes() : null;
    return new Tokenizer(file, hf, vocab.tokens, vocab.ids, vocab.special, bytes, configured);
  }

  /** Token ids of {@code text}; no BOS/EOS added, special tokens in the text recognised. */
  public int[] encode(String text) {
    long[] ids = open().encode(text, false, false).getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  /**
   * The text of {@code ids}, special tokens kept. Exact inverse of {@link #encode} for byte-level
   * vocabularies without a normalizer (a normalizer such as Qwen's NFC may change the text on the
   * way in). A sequence that ends inside a multi-byte character decodes that part to U+FFFD; use
   * {@link #tokenBytes} where bytes matter.
   */
  public String decode(int[] ids) {
    long[] longs = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      checkId(ids[i]);
      longs[i] = ids[i];
    }
    return open().decode(longs, false);
  }

  /**
   * The raw UTF-8 bytes token {@code id} adds to the decoded text: for byte-level BPE the token
   * string with GPT-2's byte alphabet inverted ({@code "Ġ"} is a space), for added tokens their
   * content. Concatenated over an encoding they give exactly the UTF-8 bytes of the text.
   *
   * @throws UnsupportedOperationException when the tokenizer is not byte-level (no ByteLevel
   *     decoder), since then a token's bytes depend on its neighbours
   */
  public byte[] tokenBytes(int id) {
    checkId(id);
    if (bytesById == null) {
      throw new UnsupportedOperationException(
          file + " is not a byte-level BPE tokenizer (no ByteLevel decoder): token bytes unknown");
    }
    return bytesById[id].clone();
  }

  /**
   * How many ids this tokenizer can produce: one more than its largest id (base vocabulary plus
   * added tokens). For Qwen2.5 that is 151,665, fewer than the model's 151,936 embedding rows.
   */
  public int vocabSize() {
    return tokenStrings.length;
  }

  /** The id of a token string, vocabulary or added token (e.g. {@code "<|im_end|>"}). */
  public OptionalInt tokenId(String token) {
    Integer id = ids.get(token);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  /** The ids of all special added tokens, ascending. */
  public int[] specialTokenIds() {
    return special.stream().toArray();
  }

  /** The id of tokenizer_config.json's {@code eos_token}, if it names a known token. */
  public OptionalInt eosTokenId() {
    return configured.eos == null ? OptionalInt.empty() : tokenId(configured.eos);
  }

  /** The id of tokenizer_config.json's {@code pad_token}, if it names a known token. */
  public OptionalInt padTokenId() {
    return configured.pad == null ? OptionalInt.empty() : tokenId(configured.pad);
  }

  /** The id of tokenizer_config.json's {@code bos_token} (Qwen has none). */
  public OptionalInt bosTokenId() {
    return configured.bos == null ? OptionalInt.empty() : tokenId(configured.bos);
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      hf.close();
    }
  }

  private HuggingFaceTokenizer open() {
    if (closed) {
      throw new IllegalStateException("tokenizer " + file + " is closed");
    }
    return hf;
  }

  private void checkId(int id) {
    if (id < 0 || id >= tokenStrings.length || tokenStrings[id] == null) {
      throw new IllegalArgumentException(
          "token id "
              + id
              + " is not a token of "
              + file
              + " (ids 0.."
              + (tokenStrings.length - 1)
              + ")");
    }
  }

  // ---------------------------------------------------------------- reading the files

  static JsonNode readJson(Path file) throws IOException {
    byte[] content;
    try {
      content = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new IOException(file + " not found", e);
    }
    try {
      JsonNode node = JSON.readTree(content);
      if (node == null || !node.isObject()) {
        throw new IOException(file + ": expected a JSON object at the top level");
      }
      return node;
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IOException(file + ": malformed JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static SpecialTokens readConfig(Path config) throws IOException {
    if (!Files.exists(config)) {
      return new SpecialTokens(null, null, null);
    }
    JsonNode root = readJson(config);
    return new SpecialTokens(
        tokenName(root.get("bos_token")),
        tokenName(root.get("eos_token")),
        tokenName(root.get("pad_token")));
  }

  /** A special-token field: a string, an AddedToken object {"content": ...}, or null. */
  static String tokenName(JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.isTextual()) {
      return node.asText();
    }
    JsonNode content = node.get("content");
    return content != null && content.isTextual() ? content.asText() : null;
  }

  /** Whether the decoder (alone or inside a Sequence) is ByteLevel. */
  private static boolean isByteLevel(JsonNode root) {
    return hasType(root.get("decoder"), "ByteLevel");
  }

  private static boolean hasType(JsonNode node, String type) {
    if (node == null || node.isNull()) {
      return false;
    }
    if (type.equals(node.path("type").asText())) {
      return true;
    }
    for (String list : new String[] {"decoders", "pretokenizers"}) {
      for (JsonNode child : node.path(list)) {
        if (hasType(child, type)) {
          return true;
        }
      }
    }
    return false;
  }

  /** The id/string tables of tokenizer.json: model.vocab plus added_tokens. */
  private static final class Vocabulary {
    final String[] tokens;
    final Map<String, Integer> ids = new HashMap<>();
    final BitSet special = new BitSet();
    final BitSet added = new BitSet();

    private Vocabulary(String[] tokens) {
      this.tokens = tokens;
    }

    static Vocabulary of(JsonNode root, Path file) throws IOException {
      JsonNode vocab = root.path("model").path("vocab");
      if (!vocab.isObject() && !vocab.isArray()) {
        throw new IOException(
            file + ": expected field model.vocab (an object of token -> id, or a Unigram list)");
      }
      JsonNode addedTokens = root.path("added_tokens");
      if (!addedTokens.isMissingNode() && !addedTokens.isArray()) {
        throw new IOException(file + ": field added_tokens must be a list");
      }
      Map<Integer, String> byId = new HashMap<>();
      if (vocab.isObject()) {
        for (Map.Entry<String, JsonNode> e : vocab.properties()) {
          if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0) {
            throw new IOException(
                file + ": model.vocab[\"" + e.getKey() + "\"] must be a non-negative integer id");
          }
          byId.put(e.getValue().asInt(), e.getKey());
        }
      } else {
        for (int i = 0; i < vocab.size(); i++) {
          JsonNode entry = vocab.get(i);
          if (!entry.isArray() || !entry.path(0).isTextual()) {
            throw new IOException(file + ": model.vocab[" + i + "] must be [token, score]");
          }
          byId.put(i, entry.get(0).asText());
        }
      }
      Map<Integer, Boolean> addedSpecial = new HashMap<>();
      for (int i = 0; i < addedTokens.size(); i++) {
        JsonNode t = addedTokens.get(i);
        if (!t.path("id").canConvertToInt() || !t.path("content").isTextual()) {
          throw new IOException(file + ": added_tokens[" + i + "] needs an integer id and content");
        }
        byId.put(t.get("id").asInt(), t.get("content").asText());
        addedSpecial.put(t.get("id").asInt(), t.path("special").asBoolean(false));
      }
      int size = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
      if (size == 0) {
        throw new IOException(file + ": the vocabulary is empty");
      }
      Vocabulary v = new Vocabulary(new String[size]);
      byId.forEach(
          (id, token) -> {
            v.tokens[id] = token;
            v.ids.put(token, id);
          });
      addedSpecial.forEach(
          (id, isSpecial) -> {
            v.added.set(id);
            v.special.set(id, isSpecial);
          });
      return v;
    }

    byte[][] byteLevelBytes() {
      byte[][] bytes = new byte[tokens.length][];
      for (int id = 0; id < tokens.length; id++) {
        if (tokens[id] == null) {
          continue;
        }
        bytes[id] =
            added.get(id)
                ? tokens[id].getBytes(StandardCharsets.UTF_8)
                : ByteLevelAlphabet.decode(tokens[id]);
      }
      return bytes;
    }
  }

  @Override
  public String toString() {
    return "Tokenizer["
        + file
        + ", "
        + vocabSize()
        + " ids, specials "
        + Arrays.toString(specialTokenIds())
        + "]";
  }
}
