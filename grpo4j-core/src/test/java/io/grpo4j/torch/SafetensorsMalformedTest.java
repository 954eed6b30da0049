package io.grpo4j.torch;

import static io.grpo4j.torch.TestTensors.rawFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every way a file can be wrong gets a {@link CheckpointFormatException} naming file, tensor,
 * fault.
 */
class SafetensorsMalformedTest {
  @TempDir Path dir;

  /** One F32 tensor of 2 elements: 8 data bytes. */
  static final String GOOD_ENTRY = "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

  private CheckpointFormatException rejected(byte[] content) throws Exception {
    Path file = dir.resolve("bad.safetensors");
    Files.write(file, content);
    return rejected(file);
  }

  private static CheckpointFormatException rejected(Path file) {
    var thrown =
        assertThatThrownBy(
                () -> {
                  try (SafetensorsFile f = SafetensorsFile.open(file)) {
                    for (String name : f.tensors().keySet()) f.read(name);
                  }
                })
            .isInstanceOf(CheckpointFormatException.class)
            .hasMessageStartingWith(file.toString() + ": ");
    return (CheckpointFormatException) thrown.actual();
  }

  private CheckpointFormatException rejectedHeader(String header, int dataBytes) throws Exception {
    return rejected(rawFile(header, new byte[dataBytes]));
  }

  private static void assertAbout(CheckpointFormatException e, String tensor, String... parts) {
    if (tensor == null) assertThat(e.getMessage()).doesNotContain(": tensor '");
    else assertThat(e.getMessage()).contains(": tensor '" + tensor + "': ");
    assertThat(e.getMessage()).contains(parts);
  }

  @Test
  void aValidFileIsAccepted() throws Exception {
    Path file = dir.resolve("ok.safetensors");
    Files.write(file, rawFile("{" + GOOD_ENTRY + "}", new byte[8]));
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertThat(f.read("w").numel()).isEqualTo(2);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 7})
  void fileShorterThanTheLengthPrefix(int size) throws Exception {
    assertAbout(rejected(new byte[size]), null, "truncated", size + " bytes");
  }

  @Test
  void headerLengthBeyondTheFile() throws Exception {
    byte[] header = ("{" + GOOD_ENTRY + "}").getBytes(StandardCharsets.UTF_8);
    assertAbout(
        rejected(rawFile(header.length + 9, header, new byte[8])),
        null,
        "header length",
        "beyond the end");
    // A length with the top bit set is huge as u64, negative as a Java long.
    assertAbout(
        rejected(rawFile(-1L, header, new byte[8])),
        null,
        "18446744073709551615",
        "beyond the end");
  }

  @Test
  void headerLongerThanTheFormatLimit() throws Exception {
    Path file = dir.resolve("huge.safetensors");
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(8 + 100_000_008L); // sparse
      raf.write(
          ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(100_000_008L).array());
    }
    assertAbout(rejected(file), null, "exceeds", "100000000");
  }

  @Test
  void invalidJson() throws Exception {
    assertAbout(rejectedHeader("{\"w\":{\"dtype\":\"F32\",", 0), null, "not valid JSON");
    assertAbout(rejectedHeader("{" + GOOD_ENTRY + "} trailing", 8), null, "not valid JSON");
    assertAbout(rejectedHeader("", 0), null, "empty");
    assertAbout(rejectedHeader("   ", 0), null, "empty");
  }

  @Test
  void invalidUtf8() throws Exception {
    byte[] header = "{\"w\u00ff\":{}}".getBytes(StandardCharsets.ISO_8859_1); // a lone 0xFF byte
    assertAbout(rejected(rawFile(header.length, header, new byte[0])), null, "not valid UTF-8");
  }

  @Test
  void headerNotAnObject() throws Exception {
    assertAbout(rejectedHeader("[1,2]", 0), null, "not a JSON object", "an array");
    assertAbout(rejectedHeader("\"w\"", 0), null, "not a JSON object", "a string");
  }

  @Test
  void wrongFieldTypes() throws Exception {
    assertAbout(rejectedHeader("{\"w\":[1]}", 0), "w", "must be an object");
    assertAbout(
        rejectedHeader("{\"w\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
        "w",
        "dtype must be a string");
    assertAbout(
        rejectedHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", 8),
        "w",
        "shape must be an array");
    assertAbout(
        rejectedHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8),
        "w",
        "shape",
        "entry 0 is 2.5");
    assertAbout(
        rejectedHeader(
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}",
            8),
        "w",
        "shape",
        "entry 0");
    assertAbout(
        rejectedHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,9]}}", 8),
        "w",
        "data_offsets must be an array of 2");
    assertAbout(
        rejectedHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[\"0\",8]}}", 8),
        "w",
        "data_offsets",
        "entry 0 is \"0\"");
    assertAbout(
        rejectedHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8),
        "w",
        "missing field \"data_offsets\"");
    assertAbout(
        rejectedHeader("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
        "w",
        "missing field \"dtype\"");
    assertAbout(
        rejectedHeader("{\"__metadata__\":{\"format\":1}," + GOOD_ENTRY + "}", 8),
        null,
        "__metadata__",
        "'format' holds a number");
    assertAbout(
        rejectedHeader("{\"__metadata__\":[]," + GOOD_ENTRY + "}", 8),
        null,
        "__metadata__",
        "an array");
  }

  @Test
  void unknownDtype() throws Exception {
    assertAbout(
        rejectedHeader("{\"w\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
        "w",
        "unknown dtype 'Q7'",
        "F32, BF16, F16, I64");
    // Names are case-sensitive in the format.
    assertAbout(
        rejectedHeader("{\"w\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
        "w",
        "unknown dtype 'f32'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"F64", "I32", "U8", "F8_E4M3", "BOOL", "I16", "F8_E5M2"})
  void formatDtypesThatGrpo4jDoesNotHandleAreRejectedByName(String dtype) throws Exception {
    var e =
        rejectedHeader(
            "{\"w\":{\"dtype\":\"" + dtype + "\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
    assertAbout(e, "w", "dtype " + dtype + " is not supported");
  }

  @Test
  void negativeShapeEntry() throws Exception {
    assertAbout(
        rejectedHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8),
        "w",
        "shape",
        "entry 0 is -2");
  }

  @Test
  void negativeOffset() throws Exception {
    assertAbout(
        rejectedHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8),
        "w",
        "data_offsets",
        "entry 0 is -8");
  }

  @Test
  void offsetsBeyondTheDataSection() throws Exception {
    // The classic truncated download: the header promises 8 bytes, the file has 5.
    assertAbout(
        rejectedHeader("{" + GOOD_ENTRY + "}", 5),
        "w",
        "[0, 8]",
        "beyond the data section",
        "5 bytes");
  }

  @Test
  void beginAfterEnd() throws Exception {
    assertAbout(
        rejectedHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8),
        "w",
        "[8, 0]",
        "begin after");
  }

  @Test
  void overlappingTensors() throws Exception {
    String header =
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
    assertAbout(rejectedHeader(header, 12), "b", "overlap tensor 'a'");
  }

  @Test
  void aZeroSizeTensorInsideAnotherOverlaps() throws Exception {
    String header =
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}";
    assertAbout(rejectedHeader(header, 8), "z", "overlap tensor 'a'");
  }

  @Test
  void holesInTheDataSectionAreRejectedAsTheReferenceDoes() throws Exception {
    String gap =
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
    assertAbout(rejectedHeader(gap, 12), "b", "hole of 4 bytes after tensor 'a'");
    String leading = "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
    assertAbout(
        rejectedHeader(leading, 8), "b", "hole of 4 bytes after the start of the data section");
    assertAbout(
        rejectedHeader("{" + GOOD_ENTRY + "}", 12), null, "12 bytes", "cover only 8", "trailing");
  }

  @Test
  void byteLengthDisagreesWithShapeAndDtype() throws Exception {
    assertAbout(
        rejectedHeader("{\"w\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,8]}}", 8),
        "w",
        "hold 8 bytes",
        "shape [2, 3] x BF16",
        "needs 12");
  }

  @Test
  void shapeWhoseSizeOverflows() throws Exception {
    assertAbout(
        rejectedHeader(
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}",
            8),
        "w",
        "overflows");
  }

  @Test
  void duplicateNames() throws Exception {
    var e = rejectedHeader("{" + GOOD_ENTRY + "," + GOOD_ENTRY.replace("0,8", "8,16") + "}", 16);
    assertAbout(e, "w", "name appears twice");
    var field =
        rejectedHeader(
            "{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}",
            8);
    assertAbout(field, "w", "field \"dtype\" appears twice");
    var meta = rejectedHeader("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}," + GOOD_ENTRY + "}", 8);
    assertAbout(meta, null, "__metadata__ has the key 'a' twice");
  }

  @Test
  void readingAnAbsentTensorNamesIt() throws Exception {
    Path file = dir.resolve("ok.safetensors");
    Files.write(file, rawFile("{" + GOOD_ENTRY + "}", new byte[8]));
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertThatThrownBy(() -> f.read("nope"))
          .isInstanceOf(CheckpointFormatException.class)
          .hasMessageContaining("tensor 'nope'")
          .hasMessageContaining("no such tensor");
    }
  }

  @Test
  void aFileThatShrankAfterOpenFailsCleanly() throws Exception {
    Path file = dir.resolve("shrink.safetensors");
    Files.write(file, rawFile("{" + GOOD_ENTRY + "}", new byte[8]));
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
        raf.setLength(20);
      }
      assertThatThrownBy(() -> f.read("w"))
          .isInstanceOf(CheckpointFormatException.class)
          .hasMessageContaining("shrank");
    }
  }

  @Test
  void missingFileIsAPlainNoSuchFile() {
    assertThatThrownBy(() -> SafetensorsFile.open(dir.resolve("absent.safetensors")))
        .isInstanceOf(java.nio.file.NoSuchFileException.class)
        .hasMessageContaining("absent.safetensors");
  }
}
