package io.grpo4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpo4j.torch.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class TrainingForwardTest {
  private static final long[][] IDS = {{0, 0, 5, 17, 3, 44, 9}, {12, 7, 7, 30, 2, 11, 48}};
  private static final long[][] VALID = {{0, 0, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1}};

  /** A loss that reaches every hidden unit non-uniformly: Σ hidden · w with a fixed random w. */
  private static Tensor loss(Tensor hidden) {
    torch.manual_seed(99);
    Tensor w = torch.randn(Tensors.shape(hidden)).to(hidden.scalar_type());
    return hidden.mul(w).sum();
  }

  /** Gradients of every parameter after back-propagating {@link #loss} through {@code mode}. */
  private static List<double[]> gradients(Qwen2Model m, String mode) {
    m.setRequiresGrad(true);
    for (Tensor p : m.parameters().values()) {
      if (p.grad().defined()) p.mutable_grad().zero_();
    }
    Tensor ids = Tensors.longs(IDS);
    Tensor valid = Tensors.longs(VALID).to(torch.ScalarType.Bool);
    Tensor pos = AttentionMask.positions(valid);
    Tensor mask = AttentionMask.of(valid, IDS[0].length);
    if (mode.equals("plain autograd")) {
      loss(m.hidden(ids, pos, mask, null)).backward();
    } else {
      TrainingForward f = m.trainingForward(ids, pos, mask, mode.equals("checkpointed"));
      loss(f.hidden()).backward();
      f.backward();
    }
    List<double[]> out = new ArrayList<>();
    for (Tensor p : m.parameters().values()) out.add(Tensors.toDoubles(p.grad()));
    return out;
  }

  @Test
  void checkpointedGradientsEqualThePlainBackwardPass() {
    try (PointerScope s = new PointerScope()) {
      Qwen2Model m = MicroModels.toDouble(MicroModels.random(MicroModels.config(3), 5));
      List<double[]> plain = gradients(m, "plain autograd");
      List<double[]> split = gradients(m, "split");
      List<double[]> checkpointed = gradients(m, "checkpointed");
      double largest = 0;
      for (int i = 0; i < plain.size(); i++) {
        for (int j = 0; j < plain.get(i).length; j++) {
          largest = Math.max(largest, Math.abs(plain.get(i)[j]));
          assertThat(split.get(i)[j])
              .isCloseTo(plain.get(i)[j], org.assertj.core.api.Assertions.within(1e-12));
          assertThat(checkpointed.get(i)[j])
              .isCloseTo(plain.get(i)[j], org.assertj.core.api.Assertions.within(1e-12));
        }
      }
      assertThat(largest).as("the loss must reach the parameters").isGreaterThan(1e-3);
    }
  }

  @Test
  void checkpointedHiddenStatesEqualTheForwardPass() {
    try (PointerScope s = new PointerScope()) {
      Qwen2Model m = MicroModels.random(MicroModels.config(2), 8);
      Tensor ids = Tensors.longs(IDS);
      Tensor valid = Tensors.longs(VALID).to(torch.ScalarType.Bool);
      Tensor pos = AttentionMask.positions(valid);
      Tensor mask = AttentionMask.of(valid, IDS[0].length);
      double[] expected = Tensors.toDoubles(m.hidden(ids, pos, mask, null));
      double[] got = Tensors.toDoubles(m.trainingForward(ids, pos, mask, true).hidden());
      assertThat(got).containsExactly(expected);
    }
  }

  @Test
  void backwardWithoutALossGradientIsAnError() {
    try (PointerScope s = new PointerScope()) {
      Qwen2Model m = MicroModels.random(MicroModels.config(1), 8);
      m.setRequiresGrad(true);
      Tensor valid = Tensors.longs(VALID).to(torch.ScalarType.Bool);
      TrainingForward f =
          m.trainingForward(
              Tensors.longs(IDS), AttentionMask.positions(valid), AttentionMask.of(valid, 7), true);
      assertThatThrownBy(f::backward).hasMessageContaining("call backward on the loss first");
    }
  }
}
