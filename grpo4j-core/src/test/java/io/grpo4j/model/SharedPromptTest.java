package io.grpo4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.grpo4j.torch.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * {@link Qwen2Model#sharedPromptHidden} (each prompt computed once) against the plain forward pass
 * of every row [prompt | completion]: the hidden states that predict the completion tokens and the
 * gradients of every parameter, in float64.
 */
class SharedPromptTest {
  // Two prompts (the first left-padded by two) and five rows: 3 completions of prompt 0, 2 of
  // prompt 1.
  private static final long[][] PROMPTS = {{0, 0, 5, 17, 3}, {12, 7, 7, 30, 2}};
  private static final long[][] PROMPT_VALID = {{0, 0, 1, 1, 1}, {1, 1, 1, 1, 1}};
  private static final long[] PROMPT_OF_ROW = {0, 0, 0, 1, 1};
  private static final long[][] COMPLETIONS = {
    {4, 9, 1, 0}, {4, 8, 0, 0}, {33, 2, 6, 21}, {1, 1, 1, 0}, {40, 0, 0, 0}
  };
  private static final int[] COMPLETION_LENGTHS = {3, 2, 4, 3, 1};

  @Test
  void equalsThePlainForwardInValuesAndGradients() {
    try (PointerScope s = new PointerScope()) {
      Qwen2Model m = MicroModels.toDouble(MicroModels.random(MicroModels.config(2), 11));
      m.setRequiresGrad(true);
      int lp = PROMPTS[0].length;
      int t = COMPLETIONS[0].length;
      int n = PROMPT_OF_ROW.length;
      long[][] rowIds = new long[n][lp + t];
      long[][] rowValid = new long[n][lp + t];
      float[] completionMask = new float[n * t];
      for (int r = 0; r < n; r++) {
        int p = (int) PROMPT_OF_ROW[r];
        for (int j = 0; j < lp; j++) {
          rowIds[r][j] = PROMPTS[p][j];
          rowValid[r][j] = PROMPT_VALID[p][j];
        }
        for (int j = 0; j < t; j++) {
          rowIds[r][lp + j] = COMPLETIONS[r][j];
          rowValid[r][lp + j] = j < COMPLETION_LENGTHS[r] ? 1 : 0;
          completionMask[r * t + j] = j < COMPLETION_LENGTHS[r] ? 1 : 0;
        }
      }
      Tensor valid = Tensors.longs(rowValid).to(torch.ScalarType.Bool);
      Tensor mask =
          Tensors.floats(completionMask).reshape(n, t).to(torch.ScalarType.Double).unsqueeze(-1);

      Tensor full =
          m.hidden(
                  Tensors.longs(rowIds),
                  AttentionMask.positions(valid),
                  AttentionMask.of(valid, lp + t),
                  null)
              .narrow(1, lp - 1, t);
      List<double[]> fullGrads = gradients(m, full.mul(mask));

      Tensor shared =
          m.sharedPromptHidden(
              Tensors.longs(PROMPTS),
              Tensors.longs(PROMPT_VALID).to(torch.ScalarType.Bool),
              Tensors.longs(PROMPT_OF_ROW),
              Tensors.longs(COMPLETIONS),
              valid);
      assertThat(Tensors.shape(shared)).containsExactly(Tensors.shape(full));
      double[] a = Tensors.toDoubles(full.mul(mask));
      double[] b = Tensors.toDoubles(shared.mul(mask));
      for (int i = 0; i < a.length; i++)
        assertThat(b[i]).as("hidden value %d", i).isCloseTo(a[i], within(1e-12));
      List<double[]> sharedGrads = gradients(m, shared.mul(mask));

      double largest = 0;
      for (int i = 0; i < fullGrads.size(); i++) {
        for (int j = 0; j < fullGrads.get(i).length; j++) {
          largest = Math.max(largest, Math.abs(fullGrads.get(i)[j]));
          assertThat(sharedGrads.get(i)[j])
              .as("gradient of parameter %d, element %d", i, j)
              .isCloseTo(fullGrads.get(i)[j], within(1e-11));
        }
      }
      assertThat(largest).as("the loss reaches the parameters").isGreaterThan(1e-3);
    }
  }

  @Test
  void aSingleTokenCompletionUsesOnlyThePromptPass() {
    try (PointerScope s = new PointerScope()) {
      Qwen2Model m = MicroModels.toDouble(MicroModels.random(MicroModels.config(1), 3));
      Tensor promptValid = Tensors.longs(PROMPT_VALID).to(torch.ScalarType.Bool);
      Tensor valid =
          torch.cat(
              new org.bytedeco.pytorch.TensorVector(
                  promptValid, torch.ones(new long[] {2, 1}).to(torch.ScalarType.Bool)),
              1);
      Tensor ids =
          torch.cat(
              new org.bytedeco.pytorch.TensorVector(
                  Tensors.longs(PROMPTS), Tensors.longs(new long[][] {{3}, {4}})),
              1);
      Tensor full =
          m.hidden(ids, AttentionMask.positions(valid), AttentionMask.of(valid, 6), null)
              .narrow(1, 4, 1);
      Tensor shared =
          m.sharedPromptHidden(
              Tensors.longs(PROMPTS),
              promptValid,
              Tensors.longs(new long[] {0, 1}),
              Tensors.longs(new long[][] {{3}, {4}}),
              valid);
      assertThat(shared.sub(full).abs().max().item_double()).isLessThan(1e-12);
    }
  }

  /** d(Σ out · w)/dθ for a fixed random w, per parameter. */
  private static List<double[]> gradients(Qwen2Model m, Tensor out) {
    for (Tensor p : m.parameters().values()) {
      if (p.grad().defined()) p.mutable_grad().zero_();
    }
    torch.manual_seed(5);
    Tensor w = torch.randn(Tensors.shape(out)).to(torch.ScalarType.Double);
    out.mul(w).sum().backward();
    List<double[]> grads = new ArrayList<>();
    for (Tensor p : m.parameters().values()) grads.add(Tensors.toDoubles(p.grad()));
    return grads;
  }
}
