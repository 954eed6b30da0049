package io.grpo4j.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Byte-level mutations for fuzzing parsers: each {@link Edit} is a small damage (flip a bit,
 * overwrite, insert, delete or duplicate a range, insert a token of the format, truncate, splice in
 * another valid input), interpreted modulo the current length so that any four integers are a valid
 * edit. The same function serves the jqwik properties (which generate the edits and can shrink
 * them) and the long fuzz command (which draws them from a seeded {@link Random}).
 */
final class Mutator {
  /** Operation {@code kind} with three free integer operands. */
  record Edit(int kind, int a, int b, int c) {}

  static final int KINDS = 10;

  /** Tokens that matter to every text format grpo4j parses. */
  static final List<String> COMMON_TOKENS =
      List.of(
          "\"",
          "{",
          "}",
          "[",
          "]",
          ":",
          ",",
          "-",
          "0",
          "-1",
          "1e309",
          "-1e309",
          "NaN",
          "Infinity",
          "null",
          "true",
          "false",
          "9223372036854775807",
          "9223372036854775808",
          "-9223372036854775809",
          "4294967296",
          "2147483648",
          "1.5",
          "0.0",
          "\\u0000",
          "\\ud800",
          "\n",
          "\r\n",
          "\t",
          " ",
          "\u0000",
          "\u00ff",
          "\ud83d\ude00",
          "é",
          "&",
          "*",
          "!!",
          "---",
          "...",
          "#",
          "%",
          "=",
          "+",
          "/",
          "(",
          ")",
          "<answer>",
          "</answer>",
          "'",
          "?",
          "|",
          ">",
          "<<",
          "~");

  private Mutator() {}

  static byte[] apply(byte[] seed, List<Edit> edits, List<byte[]> tokens, List<byte[]> otherSeeds) {
    byte[] b = seed.clone();
    for (Edit e : edits) b = apply(b, e, tokens, otherSeeds);
    return b;
  }

  static byte[] apply(byte[] b, Edit e, List<byte[]> tokens, List<byte[]> otherSeeds) {
    int n = b.length;
    int a = Math.floorMod(e.a(), n + 1);
    int len = 1 + Math.floorMod(e.b(), Math.max(1, Math.min(16, n - a + 1)));
    byte[] token = tokens.get(Math.floorMod(e.c(), tokens.size()));
    return switch (Math.floorMod(e.kind(), KINDS)) {
      case 0 -> n == 0 ? b : flip(b, Math.floorMod(e.a(), n), e.c());
      case 1 -> n == 0 ? b : set(b, Math.floorMod(e.a(), n), (byte) e.c());
      case 2 -> splice(b, a, a, new byte[] {(byte) e.c()});
      case 3 -> splice(b, a, Math.min(n, a + len), new byte[0]);
      case 4 -> splice(b, a, a, Arrays.copyOfRange(b, a, Math.min(n, a + len)));
      case 5 -> splice(b, a, a, token);
      case 6 -> splice(b, a, Math.min(n, a + len), token);
      case 7 -> Arrays.copyOf(b, a);
      case 8 -> {
        byte[] other = otherSeeds.get(Math.floorMod(e.c(), otherSeeds.size()));
        int from = Math.floorMod(e.b(), other.length + 1);
        yield splice(b, a, n, Arrays.copyOfRange(other, from, other.length));
      }
      default ->
          n == 0
              ? b
              : set(
                  b,
                  Math.floorMod(e.a(), n),
                  (byte) "0123456789-.eE".charAt(Math.floorMod(e.c(), 14)));
    };
  }

  /** A random edit list of 1..8 edits. */
  static List<Edit> randomEdits(Random r) {
    int count = 1 + Math.min(7, (int) (-Math.log(1 - r.nextDouble()) * 2));
    Edit[] out = new Edit[count];
    for (int i = 0; i < count; i++)
      out[i] = new Edit(r.nextInt(KINDS), r.nextInt(), r.nextInt(), r.nextInt());
    return List.of(out);
  }

  static List<byte[]> utf8(List<String> tokens) {
    return tokens.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
  }

  private static byte[] flip(byte[] b, int at, int bit) {
    byte[] c = b.clone();
    c[at] ^= (byte) (1 << Math.floorMod(bit, 8));
    return c;
  }

  private static byte[] set(byte[] b, int at, byte v) {
    byte[] c = b.clone();
    c[at] = v;
    return c;
  }

  private static byte[] splice(byte[] b, int from, int to, byte[] insert) {
    ByteArrayOutputStream o = new ByteArrayOutputStream(b.length + insert.length);
    o.write(b, 0, from);
    o.write(insert, 0, insert.length);
    o.write(b, to, b.length - to);
    return o.toByteArray();
  }
}
