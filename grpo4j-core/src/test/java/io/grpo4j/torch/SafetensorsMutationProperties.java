package io.grpo4j.torch;

import static io.grpo4j.torch.TestTensors.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * Random damage to a valid file never crashes the JVM and never escapes as anything but {@link
 * CheckpointFormatException}: each mutated file either opens and reads in full, or is rejected.
 */
class SafetensorsMutationProperties {
  private static Path dir;
  private static byte[] valid;

  /** One byte overwritten at a position (taken modulo the length of a shortened file). */
  record Mutation(int position, byte value) {}

  @BeforeContainer
  static void writeValidFile() throws Exception {
    dir = Files.createTempDirectory("safetensors-mutations");
    var m = new LinkedHashMap<String, Tensor>();
    m.put("w", f32(new long[] {2, 3}, 1, 2, 3, 4, 5, 6));
    m.put("s", f32(new long[] {}, 7));
    m.put("b", bits16(DType.BF16, new long[] {3}, (short) 1, (short) 2, (short) 3));
    m.put("z", bits16(DType.F16, new long[] {0}));
    m.put("ids", i64(new long[] {2}, 5, 6));
    Path file = dir.resolve("valid.safetensors");
    SafetensorsWriter.write(file, m, Map.of("format", "pt"));
    valid = Files.readAllBytes(file);
  }

  @AfterContainer
  static void removeFiles() throws Exception {
    try (var s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Provide
  Arbitrary<List<Mutation>> mutations() {
    int dataStart =
        8
            + (int)
                java.nio.ByteBuffer.wrap(valid).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0);
    Arbitrary<Integer> position =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, 7)), // the length prefix
            net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(8, dataStart - 1)), // the JSON
            net.jqwik.api.Tuple.of(
                2, Arbitraries.integers().between(dataStart, valid.length - 1))); // data
    Arbitrary<Byte> value =
        Arbitraries.oneOf(
            Arbitraries.bytes(),
            Arbitraries.of(
                (byte) '"',
                (byte) ',',
                (byte) '[',
                (byte) ']',
                (byte) '{',
                (byte) '}',
                (byte) '0',
                (byte) '9',
                (byte) '-',
                (byte) ' '));
    return Combinators.combine(position, value).as(Mutation::new).list().ofMinSize(1).ofMaxSize(4);
  }

  @Property(tries = 400)
  @SuppressWarnings("try")
  void mutatedFilesOpenOrAreRejected(
      @ForAll("mutations") List<Mutation> mutations, @ForAll("lengthChanges") int lengthChange)
      throws Exception {
    byte[] bytes = Arrays.copyOf(valid, Math.max(0, valid.length + lengthChange));
    for (Mutation m : mutations) {
      if (bytes.length > 0) bytes[m.position() % bytes.length] = m.value();
    }
    Path file = Files.createTempFile(dir, "mutant", ".safetensors");
    Files.write(file, bytes);
    String outcome = "opened and read";
    try (PointerScope scope = new PointerScope();
        SafetensorsFile f = SafetensorsFile.open(file)) {
      for (String name : f.tensors().keySet()) {
        Tensor t = f.read(name);
        if (t.nbytes() != f.tensors().get(name).byteLength())
          throw new AssertionError("size mismatch " + name);
      }
    } catch (CheckpointFormatException expected) {
      outcome = "rejected";
    } finally {
      Statistics.label("outcome").collect(outcome);
      // Both outcomes must occur, or the property proves nothing about one of them.
      Statistics.label("outcome")
          .coverage(
              c -> {
                c.check("rejected").count(n -> n >= 5);
                c.check("opened and read").count(n -> n >= 5);
              });
      Files.delete(file);
    }
  }

  @Provide
  Arbitrary<Integer> lengthChanges() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, Arbitraries.just(0)),
        net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(-40, 16)));
  }
}
