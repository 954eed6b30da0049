package io.grpo4j.torch;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and validated header of one safetensors file.
 *
 * <p>Layout (the public format spec): 8 bytes little-endian u64 {@code N}; {@code N} bytes of UTF-8
 * JSON, an object mapping tensor names to {@code {"dtype", "shape", "data_offsets": [begin, end]}}
 * plus an optional {@code "__metadata__"} string-to-string map; then the data section, to which the
 * offsets are relative.
 *
 * <p>Validation follows the reference implementation (huggingface/safetensors {@code read_metadata}
 * and {@code Metadata::validate}), which is stricter than the prose spec: the header is at most
 * 100,000,000 bytes; the tensors, sorted by offsets, must tile the data section exactly — starting
 * at 0, each one beginning where the previous ended (no holes, no overlaps), the last one ending at
 * the end of the file. grpo4j additionally rejects duplicate names (the reference silently keeps
 * the last) and every dtype other than F32/BF16/F16/I64.
 */
record SafetensorsHeader(
    Map<String, TensorInfo> tensors, Map<String, String> metadata, long dataStart) {

  /** The reference implementation's limit on the JSON header. */
  static final long MAX_HEADER_BYTES = 100_000_000L;

  static final String METADATA_KEY = "__metadata__";

  /** Dtype names of the format that grpo4j recognises but does not handle. */
  private static final List<String> KNOWN_UNSUPPORTED =
      List.of(
          "BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "F64", "C64", "F8_E4M3", "F8_E5M2",
          "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2");

  static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  static SafetensorsHeader read(Path file, FileChannel channel) throws IOException {
    if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      throw new UnsupportedOperationException("safetensors reading needs a little-endian machine");
    }
    long size = channel.size();
    if (size < 8) {
      throw new CheckpointFormatException(
          file,
          null,
          "file is truncated: it has " + size + " bytes, fewer than the 8-byte header length");
    }
    ByteBuffer prefix = readFully(channel, 0, 8).order(ByteOrder.LITTLE_ENDIAN);
    long n = prefix.getLong(0);
    if (n < 0 || n > size - 8) {
      throw new CheckpointFormatException(
          file,
          null,
          "header length "
              + Long.toUnsignedString(n)
              + " (first 8 bytes) goes beyond the end of the file ("
              + size
              + " bytes): the file is truncated or not a safetensors file");
    }
    if (n > MAX_HEADER_BYTES) {
      throw new CheckpointFormatException(
          file,
          null,
          "header length " + n + " exceeds the format's limit of " + MAX_HEADER_BYTES + " bytes");
    }
    String text = decodeUtf8(file, readFully(channel, 8, (int) n));
    JsonNode root = parseJson(file, text);
    return validate(file, root, 8 + n, size - 8 - n);
  }

  private static ByteBuffer readFully(FileChannel channel, long position, int length)
      throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    while (buffer.hasRemaining()) {
      int read = channel.read(buffer, position + buffer.position());
      if (read < 0) throw new IOException("unexpected end of file while reading the header");
    }
    return buffer.flip();
  }

  private static String decodeUtf8(Path file, ByteBuffer bytes) throws CheckpointFormatException {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(bytes)
          .toString();
    } catch (CharacterCodingException e) {
      throw new CheckpointFormatException(file, null, "header is not valid UTF-8", e);
    }
  }

  private static JsonNode parseJson(Path file, String text) throws CheckpointFormatException {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JacksonException e) {
      throw duplicateName(file, e)
          .orElseGet(
              () ->
                  new CheckpointFormatException(
                      file, null, "header is not valid JSON: " + e.getOriginalMessage(), e));
    }
    if (root == null || root.isMissingNode()) {
      throw new CheckpointFormatException(file, null, "header is empty: expected a JSON object");
    }
    if (!root.isObject()) {
      throw new CheckpointFormatException(
          file, null, "header is not a JSON object but " + kind(root));
    }
    return root;
  }

  /**
   * Names the tensor when Jackson's strict duplicate detection fires: a duplicate at the top level
   * is a tensor name given twice, one level down a field repeated inside a tensor's entry.
   */
  private static java.util.Optional<CheckpointFormatException> duplicateName(
      Path file, JacksonException e) {
    String m = e.getOriginalMessage();
    if (m == null
        || !m.startsWith("Duplicate field '")
        || !(e instanceof StreamReadException sre)
        || !(sre.getProcessor() instanceof JsonParser parser)) {
      return java.util.Optional.empty();
    }
    String field = m.substring("Duplicate field '".length(), m.lastIndexOf('\''));
    JsonStreamContext context = parser.getParsingContext();
    JsonStreamContext parent = context == null ? null : context.getParent();
    if (parent != null && parent.inRoot()) {
      String problem =
          field.equals(METADATA_KEY)
              ? "__metadata__ appears twice"
              : "name appears twice in the header";
      return java.util.Optional.of(
          new CheckpointFormatException(
              file, field.equals(METADATA_KEY) ? null : field, problem, e));
    }
    if (parent != null && parent.getParent() != null && parent.getParent().inRoot()) {
      if (METADATA_KEY.equals(parent.getCurrentName())) {
        return java.util.Optional.of(
            new CheckpointFormatException(
                file, null, METADATA_KEY + " has the key '" + field + "' twice", e));
      }
      return java.util.Optional.of(
          new CheckpointFormatException(
              file, parent.getCurrentName(), "field \"" + field + "\" appears twice", e));
    }
    return java.util.Optional.of(
        new CheckpointFormatException(
            file, null, "header has a duplicate field '" + field + "'", e));
  }

  private static SafetensorsHeader validate(
      Path file, JsonNode root, long dataStart, long dataLength) throws CheckpointFormatException {
    Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (var field : root.properties()) {
      String name = field.getKey();
      if (name.equals(METADATA_KEY)) {
        metadata = metadata(file, field.getValue());
      } else {
        tensors.put(name, tensor(file, name, field.getValue(), dataLength));
      }
    }
    checkTiling(file, tensors.values(), dataLength);
    return new SafetensorsHeader(
        Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata), dataStart);
  }

  private static Map<String, String> metadata(Path file, JsonNode node)
      throws CheckpointFormatException {
    Map<String, String> metadata = new LinkedHashMap<>();
    if (node.isNull()) return metadata;
    if (!node.isObject()) {
      throw new CheckpointFormatException(
          file, null, METADATA_KEY + " must be an object of strings, found " + kind(node));
    }
    for (var entry : node.properties()) {
      if (!entry.getValue().isTextual()) {
        throw new CheckpointFormatException(
            file,
            null,
            METADATA_KEY
                + " must map strings to strings, but '"
                + entry.getKey()
                + "' holds "
                + kind(entry.getValue()));
      }
      metadata.put(entry.getKey(), entry.getValue().textValue());
    }
    return metadata;
  }

  private static TensorInfo tensor(Path file, String name, JsonNode node, long dataLength)
      throws CheckpointFormatException {
    if (!node.isObject()) {
      throw new CheckpointFormatException(
          file,
          name,
          "entry must be an object with dtype, shape and data_offsets, found " + kind(node));
    }
    DType dtype = dtype(file, name, required(file, name, node, "dtype"));
    long[] shape = nonNegativeLongs(file, name, required(file, name, node, "shape"), "shape", -1);
    long[] offsets =
        nonNegativeLongs(file, name, required(file, name, node, "data_offsets"), "data_offsets", 2);
    long begin = offsets[0];
    long end = offsets[1];
    String range = "data_offsets " + span(begin, end);
    if (begin > end) {
      throw new CheckpointFormatException(file, name, range + " begin after they end");
    }
    if (end > dataLength) {
      throw new CheckpointFormatException(
          file,
          name,
          range
              + " go beyond the data section, which has "
              + dataLength
              + " bytes (file truncated?)");
    }
    long expected;
    try {
      long numel = 1;
      for (long d : shape) numel = Math.multiplyExact(numel, d);
      expected = Math.multiplyExact(numel, (long) dtype.size);
    } catch (ArithmeticException e) {
      throw new CheckpointFormatException(
          file,
          name,
          "shape " + java.util.Arrays.toString(shape) + " x " + dtype + " overflows 64 bits");
    }
    if (end - begin != expected) {
      throw new CheckpointFormatException(
          file,
          name,
          range
              + " hold "
              + (end - begin)
              + " bytes, but shape "
              + java.util.Arrays.toString(shape)
              + " x "
              + dtype
              + " ("
              + dtype.size
              + " bytes) needs "
              + expected);
    }
    return new TensorInfo(name, dtype, shape, begin, end);
  }

  private static JsonNode required(Path file, String name, JsonNode node, String field)
      throws CheckpointFormatException {
    JsonNode value = node.get(field);
    if (value == null) {
      throw new CheckpointFormatException(file, name, "missing field \"" + field + "\"");
    }
    return value;
  }

  private static DType dtype(Path file, String name, JsonNode node)
      throws CheckpointFormatException {
    if (!node.isTextual()) {
      throw new CheckpointFormatException(
          file, name, "dtype must be a string, found " + kind(node));
    }
    String d = node.textValue();
    return switch (d) {
      case "F32" -> DType.F32;
      case "BF16" -> DType.BF16;
      case "F16" -> DType.F16;
      case "I64" -> DType.I64;
      default -> {
        String what =
            KNOWN_UNSUPPORTED.contains(d)
                ? "dtype " + d + " is not supported by grpo4j"
                : "unknown dtype '" + d + "'";
        throw new CheckpointFormatException(file, name, what + " (supported: F32, BF16, F16, I64)");
      }
    };
  }

  /** A JSON array of non-negative integers that fit a long; {@code length} -1 means any length. */
  private static long[] nonNegativeLongs(
      Path file, String name, JsonNode node, String field, int length)
      throws CheckpointFormatException {
    String expected =
        length < 0
            ? "an array of non-negative integers"
            : "an array of " + length + " non-negative integers";
    if (!node.isArray() || (length >= 0 && node.size() != length)) {
      throw new CheckpointFormatException(
          file, name, field + " must be " + expected + ", found " + brief(node));
    }
    long[] values = new long[node.size()];
    for (int i = 0; i < values.length; i++) {
      JsonNode v = node.get(i);
      if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
        throw new CheckpointFormatException(
            file, name, field + " must be " + expected + ", but entry " + i + " is " + brief(v));
      }
      values[i] = v.longValue();
    }
    return values;
  }

  /**
   * Sorted by offsets, the tensors must cover [0, dataLength) exactly once, as the reference
   * requires.
   */
  /** {@code [begin, end]}, as data_offsets are written in the header. */
  private static String span(long begin, long end) {
    return "[" + begin + ", " + end + "]";
  }

  private static void checkTiling(
      Path file, java.util.Collection<TensorInfo> tensors, long dataLength)
      throws CheckpointFormatException {
    List<TensorInfo> sorted = new ArrayList<>(tensors);
    sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    TensorInfo previous = null;
    long covered = 0;
    for (TensorInfo t : sorted) {
      String range = "data_offsets " + span(t.begin(), t.end());
      if (t.begin() < covered) {
        throw new CheckpointFormatException(
            file,
            t.name(),
            range
                + " overlap tensor '"
                + previous.name()
                + "' "
                + span(previous.begin(), previous.end()));
      }
      if (t.begin() > covered) {
        String after =
            previous == null ? "the start of the data section" : "tensor '" + previous.name() + "'";
        throw new CheckpointFormatException(
            file,
            t.name(),
            range
                + " leave a hole of "
                + (t.begin() - covered)
                + " bytes after "
                + after
                + " (tensors must be contiguous)");
      }
      covered = t.end();
      previous = t;
    }
    if (covered != dataLength) {
      throw new CheckpointFormatException(
          file,
          null,
          "the data section has "
              + dataLength
              + " bytes but the tensors cover only "
              + covered
              + " (trailing bytes after the last tensor)");
    }
  }

  /** A JSON value for a message, cut short so that a hostile header cannot make a huge message. */
  private static String brief(JsonNode node) {
    String s = node.toString();
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }

  private static String kind(JsonNode node) {
    return switch (node.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      default -> node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
