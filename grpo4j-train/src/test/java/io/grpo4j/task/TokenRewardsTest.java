package io.grpo4j.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class TokenRewardsTest {
  static final Problem<String> PROBLEM = new Problem<>("p1", "unused");

  /**
   * A verifier whose prefix score is easy to compute by hand: 1 per 'é' and 10 per '😀' seen so
   * far; the outcome adds 0.5 when the text ends with "!". It records every text it was shown.
   */
  static final class CountingVerifier implements Verifier<String> {
    final List<String> seen = new ArrayList<>();

    @Override
    public PrefixScore score(Problem<String> problem, CharSequence prefix) {
      String s = prefix.toString();
      seen.add(s);
      return new PrefixScore(value(s), false, "count");
    }

    @Override
    public Outcome outcome(Problem<String> problem, CharSequence completion) {
      String s = completion.toString();
      seen.add(s);
      return new Outcome(value(s) + (s.endsWith("!") ? 0.5 : 0), false, "count");
    }

    static double value(String s) {
      return s.chars().filter(c -> c == 'é').count()
          + 10.0 * s.codePoints().filter(c -> c == 0x1F600).count();
    }
  }

  static List<byte[]> split(byte[] bytes, int... cuts) {
    List<byte[]> tokens = new ArrayList<>();
    int from = 0;
    for (int cut : cuts) {
      tokens.add(Arrays.copyOfRange(bytes, from, cut));
      from = cut;
    }
    tokens.add(Arrays.copyOfRange(bytes, from, bytes.length));
    return tokens;
  }

  @Test
  void multiByteCharacterSplitAcrossTokensIsCreditedWhenComplete() {
    byte[] bytes = "aé😀b".getBytes(StandardCharsets.UTF_8); // a | C3 A9 | F0 9F 98 80 | b
    assertThat(bytes).hasSize(8);
    // tokens: [a C3] [A9 F0] [9F] [98 80 b]
    List<byte[]> tokens = split(bytes, 2, 4, 5);
    CountingVerifier v = new CountingVerifier();
    double[] r = TokenRewards.fromPrefixScores(v, PROBLEM, tokens, false);
    assertThat(r).containsExactly(new double[] {0, 1, 0, 10}, within(1e-12));
    // the verifier saw whole characters only, never a replacement character
    assertThat(v.seen).containsExactly("", "a", "aé", "aé", "aé😀b");
  }

  @Test
  void invalidBytesDecodeAsReplacementButDoNotStallTheText() {
    byte[] bytes = {'a', (byte) 0xFF, 'b'};
    CountingVerifier v = new CountingVerifier();
    TokenRewards.fromPrefixScores(v, PROBLEM, split(bytes, 1, 2), false);
    assertThat(v.seen).containsExactly("", "a", "a\uFFFD", "a\uFFFDb");
  }

  @Test
  void endOfTextUsesTheOutcomeForTheLastToken() {
    List<byte[]> tokens = split("é!".getBytes(StandardCharsets.UTF_8), 2);
    double[] open = TokenRewards.fromPrefixScores(new CountingVerifier(), PROBLEM, tokens, false);
    double[] ended = TokenRewards.fromPrefixScores(new CountingVerifier(), PROBLEM, tokens, true);
    assertThat(open).containsExactly(new double[] {1, 0}, within(1e-12));
    assertThat(ended).containsExactly(new double[] {1, 0.5}, within(1e-12));
  }

  @Test
  void emptyStopTokenCarriesTheEndOfTextJudgement() {
    List<byte[]> tokens = List.of("!".getBytes(StandardCharsets.UTF_8), new byte[0]);
    double[] r = TokenRewards.fromPrefixScores(new CountingVerifier(), PROBLEM, tokens, true);
    assertThat(r).containsExactly(new double[] {0, 0.5}, within(1e-12));
  }

  @Test
  void noTokensNoRewards() {
    assertThat(TokenRewards.fromPrefixScores(new CountingVerifier(), PROBLEM, List.of(), false))
        .isEmpty();
  }

  @Property(tries = 200)
  void rewardsSumToTheFinalScoreForAnySplit(
      @ForAll @StringLength(max = 40) String text,
      @ForAll @IntRange(min = 1, max = 7) int maxTokenBytes,
      @ForAll long seed) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
    List<byte[]> tokens = new ArrayList<>();
    for (int from = 0; from < bytes.length; ) {
      int to = Math.min(bytes.length, from + 1 + rnd.nextInt(maxTokenBytes));
      tokens.add(Arrays.copyOfRange(bytes, from, to));
      from = to;
    }
    CountingVerifier v = new CountingVerifier();
    double[] r = TokenRewards.fromPrefixScores(v, PROBLEM, tokens, false);
    String decoded = new String(bytes, StandardCharsets.UTF_8);
    assertThat(Arrays.stream(r).sum()).isCloseTo(CountingVerifier.value(decoded), within(1e-9));
    // every text shown is a prefix of the decoded string at a character boundary (no U+FFFD
    // garbage)
    for (String seen : v.seen) {
      assertThat(decoded).startsWith(seen);
    }
    if (!tokens.isEmpty()) {
      assertThat(v.seen.get(v.seen.size() - 1)).isEqualTo(decoded);
    }
  }
}
