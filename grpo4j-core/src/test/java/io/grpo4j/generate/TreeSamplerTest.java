package io.grpo4j.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.grpo4j.model.MicroModels;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.torch.Tensors;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * Prefix-tree rollouts: the forked KV cache gives every leaf the log-probs a full forward pass of
 * its own text gives, leaves under one node share its prefix, and each decoded token counts once.
 */
class TreeSamplerTest {
  private static final Qwen2Model MODEL = MicroModels.random(MicroModels.config(2), 21);

  /** Ids 0..9 end a "line" (a fifth of the 50-token vocabulary). */
  private static final Set<Integer> LINE_ENDS = Set.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);

  private static TreeShape lineTree(int... widths) {
    return new TreeShape(widths, TreeShape.BranchAt.LINE_END, LINE_ENDS, 0);
  }

  private static final List<int[]> PROMPTS =
      List.of(new int[] {11, 12, 13}, new int[] {20, 21, 22, 23, 24, 25}, new int[] {30});

  /** log π and H at each completion token, by one forward pass over prompt + completion. */
  private static void assertTokensScoredByFullForward(Sample s) {
    int[] prompt = s.promptIds();
    try (PointerScope sc = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      long[] seq = new long[prompt.length + s.length()];
      for (int i = 0; i < prompt.length; i++) seq[i] = prompt[i];
      for (int i = 0; i < s.length(); i++) seq[prompt.length + i] = s.completionIds()[i];
      long[] valid = new long[seq.length];
      Arrays.fill(valid, 1);
      Tensor logp =
          torch.log_softmax(
              MicroModels.logits(
                  MODEL,
                  Tensors.longs(new long[][] {seq}),
                  Tensors.longs(new long[][] {valid}).to(torch.ScalarType.Bool)),
              -1);
      for (int i = 0; i < s.length(); i++) {
        double[] dist = Tensors.toDoubles(logp.select(1, prompt.length - 1 + i).squeeze(0));
        double entropy = 0;
        for (double l : dist) entropy -= Math.exp(l) * l;
        assertThat((double) s.logprobs()[i])
            .as("token %d", i)
            .isCloseTo(dist[s.completionIds()[i]], within(1e-4));
        assertThat((double) s.entropies()[i]).isCloseTo(entropy, within(1e-4));
      }
    }
  }

  /**
   * Shapes and stop sets where rows fork, finish and move within one decode step (a row that stops
   * while another forks, so the batch keeps its size but not its order).
   */
  @Test
  void everyLeafIsScoredAsIfDecodedAlone() {
    Set<Integer> manyStops = new HashSet<>();
    for (int i = 40; i < 50; i++) manyStops.add(i);
    for (int[] widths : new int[][] {{2, 2, 2}, {4, 2}}) {
      for (Set<Integer> stops : List.of(Set.of(49), manyStops)) {
        everyLeafIsScoredAsIfDecodedAlone(lineTree(widths), stops);
      }
    }
  }

  private static void everyLeafIsScoredAsIfDecodedAlone(TreeShape tree, Set<Integer> stops) {
    Rollout r =
        new Sampler(MODEL, 50).generateTree(PROMPTS, tree, SamplingParams.sample(14, stops, 5));
    int g = tree.leaves(), d = tree.depth();
    assertThat(r.samples()).hasSize(3 * g);
    int branched = 0;
    for (int i = 0; i < 3 * g; i++) {
      Sample s = r.samples().get(i);
      assertThat(s.promptIndex()).isEqualTo(i / g);
      assertThat(s.promptIds()).containsExactly(PROMPTS.get(i / g));
      assertTokensScoredByFullForward(s);
      int[] st = r.segmentStarts().get(i);
      assertThat(st).hasSize(d - 1);
      assertThat(st[0]).isBetween(1, s.length());
      for (int k = 1; k < d - 1; k++) assertThat(st[k]).isBetween(st[k - 1], s.length());
      if (st[0] < s.length()) {
        branched++;
        // the first segment ends with a line end
        assertThat(LINE_ENDS).contains(s.completionIds()[st[0] - 1]);
      }
    }
    assertThat(branched).isPositive();
  }

  /**
   * The leaves under a node at depth k share its path: leaves 4j … 4j+3 (depth 1 of widths [2, 2,
   * 2]) agree on their first st[0] tokens, leaves 2j, 2j+1 on their first st[1]; and the decoded
   * tokens are the segments of distinct nodes, counted once.
   */
  @Test
  void leavesUnderANodeShareItsPrefixAndItIsDecodedOnce() {
    TreeShape tree = lineTree(2, 2, 2);
    Rollout r =
        new Sampler(MODEL, 50)
            .generateTree(PROMPTS, tree, SamplingParams.sample(14, Set.of(49), 8));
    long nodeTokens = 0, leafTokens = 0;
    for (int i = 0; i < r.samples().size(); i++) {
      Sample s = r.samples().get(i);
      int[] st = r.segmentStarts().get(i);
      leafTokens += s.length();
      for (int k = 1; k <= 3; k++) {
        int n = 8 >> k; // leaves under one node at depth k
        int from = k == 1 ? 0 : st[k - 2], to = k == 3 ? s.length() : st[k - 1];
        if (i % n == 0) nodeTokens += to - from; // the node's first leaf stands for it
        if (k < 3) {
          Sample first = r.samples().get(i / n * n);
          int shared = st[k - 1];
          assertThat(Arrays.copyOf(s.completionIds(), shared))
              .as("leaf %d, depth %d", i, k)
              .containsExactly(Arrays.copyOf(first.completionIds(), shared));
          assertThat(r.segmentStarts().get(i / n * n)[k - 1]).isEqualTo(shared);
        }
      }
    }
    assertThat(r.generatedTokens()).isEqualTo(nodeTokens);
    assertThat(r.generatedTokens()).isLessThan(leafTokens);
    assertThat(r.completionTokens()).isEqualTo(leafTokens);
  }

  /** A row that stops before branching again fills its whole subtree with copies of itself. */
  @Test
  void aLeafThatStopsEarlyFillsItsSubtree() {
    // stop on ids 40..49 as well: many rows end before their second line end
    Set<Integer> stops = new HashSet<>();
    for (int i = 40; i < 50; i++) stops.add(i);
    Rollout r =
        new Sampler(MODEL, 50)
            .generateTree(PROMPTS, lineTree(3, 2), SamplingParams.sample(20, stops, 2));
    int early = 0;
    for (int i = 0; i < r.samples().size(); i += 2) {
      Sample a = r.samples().get(i), b = r.samples().get(i + 1);
      int[] st = r.segmentStarts().get(i);
      if (st[0] == a.length()) {
        early++;
        assertThat(b.completionIds()).containsExactly(a.completionIds());
        assertThat(r.segmentStarts().get(i + 1)).containsExactly(st);
        assertThat(a.finishReason()).isEqualTo(Sample.FinishReason.STOP);
      }
    }
    assertThat(early).isPositive();
  }

  /** One level, widths [G]: G independent samples per prompt, no branch points. */
  @Test
  void aOneLevelTreeIsGIndependentSamples() {
    Rollout r =
        new Sampler(MODEL, 50)
            .generateTree(PROMPTS, lineTree(4), SamplingParams.sample(10, Set.of(49), 3));
    assertThat(r.samples()).hasSize(12);
    assertThat(r.generatedTokens()).isEqualTo(r.completionTokens());
    for (int i = 0; i < 12; i++) {
      assertThat(r.segmentStarts().get(i)).isEmpty();
      assertTokensScoredByFullForward(r.samples().get(i));
    }
    Rollout again =
        new Sampler(MODEL, 50)
            .generateTree(PROMPTS, lineTree(4), SamplingParams.sample(10, Set.of(49), 3));
    for (int i = 0; i < 12; i++)
      assertThat(again.samples().get(i).completionIds())
          .containsExactly(r.samples().get(i).completionIds());
  }

  /**
   * Branching at uncertain positions: with threshold 0 every row forks at the second token of its
   * segment, so the branch points are 1 and 2 (unless the row stopped first), and the children
   * re-sample that position.
   */
  @Test
  void entropyBranchingForksAtTheUncertainPosition() {
    TreeShape tree = new TreeShape(new int[] {2, 2, 2}, TreeShape.BranchAt.ENTROPY, Set.of(), 0.0);
    Rollout r =
        new Sampler(MODEL, 50).generateTree(PROMPTS, tree, SamplingParams.sample(8, Set.of(), 4));
    for (int i = 0; i < r.samples().size(); i++) {
      assertThat(r.segmentStarts().get(i)).containsExactly(1, 2);
      assertTokensScoredByFullForward(r.samples().get(i));
    }
    // 3 prompts: 2 + 4 tokens for the depth-1 and depth-2 nodes' single tokens, then 8 leaves × 6
    assertThat(r.generatedTokens()).isEqualTo(3 * (2 + 4 + 8 * 6));
    TreeShape high = new TreeShape(new int[] {2, 2}, TreeShape.BranchAt.ENTROPY, Set.of(), 1e9);
    Rollout none =
        new Sampler(MODEL, 50).generateTree(PROMPTS, high, SamplingParams.sample(8, Set.of(), 4));
    for (int[] st : none.segmentStarts()) assertThat(st).containsExactly(8);
  }

  @Test
  void badShapesNameTheKey() {
    assertThatThrownBy(() -> lineTree(2, 0)).hasMessageContaining("sampling.tree.widths");
    assertThatThrownBy(() -> lineTree()).hasMessageContaining("sampling.tree.widths");
    assertThatThrownBy(() -> TreeShape.BranchAt.parse("tokens"))
        .hasMessageContaining("sampling.tree.branch_at");
    assertThat(TreeShape.BranchAt.parse("Line-End")).isEqualTo(TreeShape.BranchAt.LINE_END);
    assertThat(lineTree(4, 2).leaves()).isEqualTo(8);
  }
}
