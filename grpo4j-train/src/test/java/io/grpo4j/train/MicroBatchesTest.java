package io.grpo4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.grpo4j.eval.ScoredSample;
import io.grpo4j.generate.Sample;
import io.grpo4j.model.MicroModels;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.task.Outcome;
import io.grpo4j.torch.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class MicroBatchesTest {
  private static ScoredSample sample(int promptLen, int completionLen, int seed) {
    int[] p = new int[promptLen];
    int[] c = new int[completionLen];
    float[] lp = new float[completionLen];
    for (int i = 0; i < promptLen; i++) p[i] = 1 + (seed * 7 + i * 3) % 40;
    for (int i = 0; i < completionLen; i++) {
      c[i] = 1 + (seed * 5 + i * 11) % 45;
      lp[i] = -0.1f * (i + 1) - seed;
    }
    return new ScoredSample(
        new Sample(0, p, c, lp, new float[completionLen], Sample.FinishReason.STOP),
        "",
        new double[completionLen],
        new Outcome(0, false, ""));
  }

  /**
   * Rows of lengths (prompt, completion): short and long rows interleaved, as a GRPO batch has
   * them.
   */
  private static List<ScoredSample> batch() {
    int[][] shapes = {{3, 2}, {6, 9}, {3, 1}, {5, 8}, {4, 2}, {6, 7}};
    List<ScoredSample> out = new ArrayList<>();
    for (int i = 0; i < shapes.length; i++) out.add(sample(shapes[i][0], shapes[i][1], i));
    return out;
  }

  @Test
  void bucketsGroupRowsOfSimilarLength() {
    List<int[]> plan = MicroBatches.byLength(new int[] {5, 15, 4, 13, 6, 13}, 2);
    assertThat(plan).containsExactly(new int[] {2, 0}, new int[] {4, 3}, new int[] {5, 1});
  }

  @Test
  void bucketingCutsThePaddingOfTheBatch() {
    try (PointerScope s = new PointerScope()) {
      RolloutBatch b = RolloutBatch.of(batch(), new Device("cpu"));
      List<int[]> inOrder = List.of(new int[] {0, 1}, new int[] {2, 3}, new int[] {4, 5});
      double before = MicroBatches.paddingFraction(inOrder.stream().map(b::select).toList());
      double after =
          MicroBatches.paddingFraction(
              MicroBatches.byLength(b.rowLengths(), 2).stream().map(b::select).toList());
      // real tokens 56; in order: rows (3,2)+(6,9) -> 2x(6+9), (3,1)+(5,8) -> 2x(5+8), (4,2)+(6,7)
      // -> 2x(6+7): 82 computed
      assertThat(before).isCloseTo(1 - 56.0 / 82, within(1e-12));
      // by length 4, 5, 6 | 13, 13, 15: rows (3,1)+(3,2) -> 2x(3+2), (4,2)+(6,7) -> 2x(6+7),
      // (5,8)+(6,9) -> 2x(6+9): 66
      assertThat(after).isCloseTo(1 - 56.0 / 66, within(1e-12));
    }
  }

  @Test
  void aTrimmedSelectionComputesTheSameLogitsAsTheFullBatch() {
    try (PointerScope s = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      Qwen2Model m = MicroModels.random(MicroModels.config(2), 4);
      RolloutBatch b = RolloutBatch.of(batch(), new Device("cpu"));
      int[] rows = {2, 4};
      RolloutBatch part = b.select(rows);
      assertThat(part.promptWidth()).isEqualTo(4);
      assertThat(part.width()).isEqualTo(2);
      Tensor full = b.completionLogits(m, 0, 6);
      Tensor mine = part.completionLogits(m, 0, 2);
      for (int i = 0; i < rows.length; i++) {
        float[] mask = Tensors.toFloats(part.mask().narrow(0, i, 1));
        for (int t = 0; t < part.width(); t++) {
          if (mask[t] == 0) continue;
          float[] want = Tensors.toFloats(full.narrow(0, rows[i], 1).narrow(1, t, 1));
          float[] got = Tensors.toFloats(mine.narrow(0, i, 1).narrow(1, t, 1));
          for (int v = 0; v < want.length; v++)
            assertThat(got[v]).isCloseTo(want[v], within(1e-4f));
        }
      }
      assertThat(Tensors.toFloats(part.oldLogProbs().narrow(0, 0, 1)))
          .containsExactly(Tensors.toFloats(b.oldLogProbs().narrow(0, 2, 1).narrow(1, 0, 2)));
      List<Tensor> cut = MicroBatches.split(b.oldLogProbs(), List.of(rows), List.of(part));
      assertThat(Tensors.toFloats(cut.get(0)))
          .containsExactly(Tensors.toFloats(part.oldLogProbs()));
    }
  }
}
