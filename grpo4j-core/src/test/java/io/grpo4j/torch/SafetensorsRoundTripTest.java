package io.grpo4j.torch;

import static io.grpo4j.torch.TestTensors.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {
  @TempDir Path dir;

  static final float[] F32_VALUES = {
    0f,
    -0f,
    1f,
    -2.5f,
    Float.MIN_VALUE,
    Float.MAX_VALUE,
    Float.POSITIVE_INFINITY,
    Float.NEGATIVE_INFINITY,
    Float.intBitsToFloat(0x7fc00001),
    3.14159265f,
    1e-40f,
    -1e30f
  };
  // Bit patterns that a round trip through float conversion could alter: -0, NaN payloads,
  // subnormals, infinities, the largest finite values.
  static final short[] BF16_BITS = {
    0x0000,
    (short) 0x8000,
    0x3f80,
    (short) 0xc020,
    0x0001,
    (short) 0x807f,
    0x7f80,
    (short) 0xff80,
    0x7fc1,
    (short) 0xffff,
    0x7f7f,
    0x4049
  };
  static final short[] F16_BITS = {
    0x0000,
    (short) 0x8000,
    0x3c00,
    (short) 0xc100,
    0x0001,
    (short) 0x83ff,
    0x7c00,
    (short) 0xfc00,
    0x7e01,
    (short) 0xffff,
    0x7bff,
    0x4248
  };
  static final long[] I64_VALUES = {
    0, -1, 1, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 53, -(1L << 40), 42, 7, -7, 99, 151645
  };

  /** Tensors of every dtype, in a deliberately unsorted name order, with scalars and zero sizes. */
  static SequencedMap<String, Tensor> everyDtype() {
    SequencedMap<String, Tensor> m = new LinkedHashMap<>();
    m.put("z.f32", f32(new long[] {3, 4}, F32_VALUES));
    m.put("a.bf16", bits16(DType.BF16, new long[] {2, 3, 2}, BF16_BITS));
    m.put("m.f16", bits16(DType.F16, new long[] {12}, F16_BITS));
    m.put("b.i64", i64(new long[] {4, 3}, I64_VALUES));
    m.put("scalar.f32", f32(new long[] {}, -0.75f));
    m.put("scalar.i64", i64(new long[] {}, 151643));
    m.put("empty.bf16", bits16(DType.BF16, new long[] {0, 4}));
    m.put("empty.f32", f32(new long[] {3, 0}));
    m.put("one.f16", bits16(DType.F16, new long[] {1}, (short) 0x3555));
    return m;
  }

  @Test
  void everyDtypeRoundTripsBitForBitInHeaderOrder() throws Exception {
    SequencedMap<String, Tensor> tensors = everyDtype();
    Path file = dir.resolve("all.safetensors");
    SafetensorsWriter.write(file, tensors, Map.of("format", "pt", "note", "ünïcode ✓"));

    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertThat(f.tensors().keySet()).containsExactlyElementsOf(tensors.keySet());
      assertThat(f.metadata())
          .containsExactlyInAnyOrderEntriesOf(Map.of("format", "pt", "note", "ünïcode ✓"));
      for (var e : tensors.entrySet()) {
        Tensor expected = e.getValue();
        TensorInfo info = f.tensors().get(e.getKey());
        assertThat(info.dtype()).isEqualTo(DType.of(expected.scalar_type()));
        assertThat(info.shape()).containsExactly(TensorBytes.shape(expected));
        assertThat(info.byteLength()).isEqualTo(expected.nbytes());
        Tensor actual = f.read(e.getKey());
        assertThat(DType.of(actual.scalar_type())).isEqualTo(DType.of(expected.scalar_type()));
        assertThat(actual.dim()).isEqualTo(expected.dim());
        assertThat(TensorBytes.shape(actual)).containsExactly(TensorBytes.shape(expected));
        assertThat(bytes(actual)).as(e.getKey()).containsExactly(bytes(expected));
      }
      // Element-wise, in the element types (the byte check above already implies these).
      assertThat(floats(f.read("z.f32")))
          .usingElementComparator(Float::compare)
          .containsExactly(F32_VALUES);
      assertThat(shorts(f.read("a.bf16"))).containsExactly(BF16_BITS);
      assertThat(shorts(f.read("m.f16"))).containsExactly(F16_BITS);
      assertThat(longs(f.read("b.i64"))).containsExactly(I64_VALUES);
      assertThat(floats(f.read("scalar.f32"))).containsExactly(-0.75f);
      assertThat(f.read("scalar.f32").numel()).isEqualTo(1);
      assertThat(f.read("empty.bf16").numel()).isZero();
    }
  }

  @Test
  void valuesSurviveTheConversionToFloatInLibtorch() throws Exception {
    // Independent of our byte copies: libtorch's own conversion of the read bf16/f16 tensors.
    Path file = dir.resolve("conv.safetensors");
    var m = new LinkedHashMap<String, Tensor>();
    m.put(
        "bf",
        bits16(
            DType.BF16,
            new long[] {3},
            (short) 0x3f80,
            (short) 0xc020,
            (short) 0x4049)); // 1, -2.5, 3.140625
    m.put("h", bits16(DType.F16, new long[] {2}, (short) 0x3c00, (short) 0xc100)); // 1, -2.5
    SafetensorsWriter.write(file, m, Map.of());
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertThat(floats(f.read("bf").to(DType.F32.scalarType)))
          .containsExactly(1f, -2.5f, 3.140625f);
      assertThat(floats(f.read("h").to(DType.F32.scalarType))).containsExactly(1f, -2.5f);
    }
  }

  @Test
  void writtenFileFollowsTheSpecByteForByte() throws Exception {
    Path file = dir.resolve("spec.safetensors");
    var m = new LinkedHashMap<String, Tensor>();
    m.put("w", f32(new long[] {2}, 1.5f, -2f));
    m.put("ids", i64(new long[] {1}, 7));
    SafetensorsWriter.write(file, m, Map.of("format", "pt"));

    byte[] raw = Files.readAllBytes(file);
    ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    long n = b.getLong(0);
    assertThat(n % 8).as("header padded to 8 bytes").isZero();
    String header = new String(raw, 8, (int) n, StandardCharsets.UTF_8);
    String json = header.stripTrailing();
    assertThat(header.substring(json.length())).matches(" {0,7}");
    assertThat(json)
        .isEqualTo(
            "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]}}");
    assertThat(raw.length).isEqualTo(8 + n + 16);
    b.position((int) (8 + n));
    assertThat(b.getFloat()).isEqualTo(1.5f);
    assertThat(b.getFloat()).isEqualTo(-2f);
    assertThat(b.getLong()).isEqualTo(7L);
  }

  @Test
  void readsAHandBuiltFileWithUnpaddedHeaderAndOffsetsOutOfHeaderOrder() throws Exception {
    // Written by hand from the spec: the header lists b before a although a's bytes come first.
    ByteBuffer data = ByteBuffer.allocate(2 * 2 + 8).order(ByteOrder.LITTLE_ENDIAN);
    data.putShort((short) 0x3c00).putShort((short) 0xc000).putLong(-5);
    String header =
        "{\"b\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[4,12]},"
            + "\"a\":{\"shape\":[2,1],\"dtype\":\"F16\",\"data_offsets\":[0,4]},\"__metadata__\":{}}";
    Path file = dir.resolve("hand.safetensors");
    Files.write(file, rawFile(header, data.array()));
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertThat(f.tensors().keySet()).containsExactly("b", "a");
      assertThat(f.tensors().get("a"))
          .isEqualTo(new TensorInfo("a", DType.F16, new long[] {2, 1}, 0, 4));
      assertThat(f.metadata()).isEmpty();
      assertThat(shorts(f.read("a"))).containsExactly((short) 0x3c00, (short) 0xc000);
      assertThat(longs(f.read("b"))).containsExactly(-5L);
      assertThat(f.read("b").dim()).isZero();
    }
  }

  @Test
  void chunkedCopiesStitchTogether() throws Exception {
    float[] values = new float[1001];
    for (int i = 0; i < values.length; i++) values[i] = i * 0.5f - 100;
    Path file = dir.resolve("chunks.safetensors");
    var m = new LinkedHashMap<String, Tensor>();
    m.put("head", i64(new long[] {1}, 3));
    m.put("v", f32(new long[] {7, 143}, values));
    SafetensorsWriter.write(file, m, Map.of(), 7); // odd chunk: boundaries fall inside elements
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertThat(floats(f.read("v", 13))).containsExactly(values);
      assertThat(floats(f.read("v"))).containsExactly(values);
      assertThat(longs(f.read("head", 3))).containsExactly(3L);
    }
  }

  @Test
  @SuppressWarnings("try")
  void writesStridedTensorsInLogicalOrderAndLeavesTheCallersTensorAlone() throws Exception {
    Path file = dir.resolve("t.safetensors");
    try (PointerScope outer = new PointerScope()) {
      Tensor base = f32(new long[] {2, 3}, 1, 2, 3, 4, 5, 6);
      Tensor transposed = base.t();
      assertThat(transposed.is_contiguous()).isFalse();
      var m = new LinkedHashMap<String, Tensor>();
      m.put("t", transposed);
      SafetensorsWriter.write(file, m, Map.of());
      assertThat(transposed.is_contiguous()).isFalse();
      assertThat(floats(base)).containsExactly(1, 2, 3, 4, 5, 6);
    }
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertThat(f.tensors().get("t").shape()).containsExactly(3, 2);
      assertThat(floats(f.read("t"))).containsExactly(1, 4, 2, 5, 3, 6);
    }
  }

  @Test
  void tensorsOutliveTheFile() throws Exception {
    Path file = dir.resolve("close.safetensors");
    SafetensorsWriter.write(file, everyDtype(), Map.of());
    Tensor t;
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      t = f.read("z.f32");
    }
    Files.delete(file);
    System.gc();
    assertThat(floats(t)).usingElementComparator(Float::compare).containsExactly(F32_VALUES);
  }

  @Test
  void anEmptyFileOfNoTensorsRoundTrips() throws Exception {
    Path file = dir.resolve("none.safetensors");
    SafetensorsWriter.write(file, new LinkedHashMap<>(), Map.of());
    assertThat(Files.readAllBytes(file)).hasSize(16); // 8 + "{}" padded to 8
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertThat(f.tensors()).isEmpty();
      assertThat(f.metadata()).isEmpty();
    }
  }

  @Test
  void readsATensorBeyondTheTwoGibibyteOffsetOfASparseFile() throws Exception {
    long padElements = (1L << 31) / 8 + 1000; // I64 padding of a little over 2 GiB
    long padBytes = padElements * 8;
    String header =
        "{\"pad\":{\"dtype\":\"I64\",\"shape\":["
            + padElements
            + "],\"data_offsets\":[0,"
            + padBytes
            + "]},"
            + "\"tail\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":["
            + padBytes
            + ","
            + (padBytes + 16)
            + "]}}";
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    long dataStart = 8 + h.length;
    Path file = dir.resolve("big.safetensors");
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(dataStart + padBytes + 16); // sparse: only the header and the tail take disk
      raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
      raf.write(h);
      raf.seek(dataStart + padBytes);
      ByteBuffer tail = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
      tail.putFloat(1f).putFloat(-2f).putFloat(3.5f).putFloat(1e-3f);
      raf.write(tail.array());
    }
    assertThat(Files.size(file)).isGreaterThan(1L << 31);
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertThat(f.tensors().get("pad").byteLength()).isGreaterThan(Integer.MAX_VALUE);
      assertThat(dataStart + f.tensors().get("tail").begin()).isGreaterThan(1L << 31);
      assertThat(floats(f.read("tail"))).containsExactly(1f, -2f, 3.5f, 1e-3f);
    }
  }

  @Test
  void headerJsonIsValidAndOrdered() throws Exception {
    Path file = dir.resolve("order.safetensors");
    SafetensorsWriter.write(file, everyDtype(), Map.of());
    byte[] raw = Files.readAllBytes(file);
    long n = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getLong();
    JsonNode root =
        new ObjectMapper().readTree(new String(raw, 8, (int) n, StandardCharsets.UTF_8));
    List<String> names = new ArrayList<>();
    root.fieldNames().forEachRemaining(names::add);
    assertThat(names).containsExactlyElementsOf(everyDtype().keySet());
    long expectedBegin = 0;
    for (String name : names) {
      JsonNode offsets = root.get(name).get("data_offsets");
      assertThat(offsets.get(0).asLong()).isEqualTo(expectedBegin);
      expectedBegin = offsets.get(1).asLong();
    }
    assertThat(raw.length).isEqualTo(8 + n + expectedBegin);
    assertThat(Arrays.asList(root.get("scalar.f32").get("shape").size())).containsExactly(0);
  }
}
