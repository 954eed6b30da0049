package io.grpo4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpo4j.torch.Tensors;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class OptimizersTest {
  /** Two AdamW steps on loss = c_t·x, against the closed form (betas must not be swapped). */
  @Test
  void adamWMatchesTheClosedFormOverTwoSteps() {
    try (PointerScope s = new PointerScope()) {
      double lr = 0.1, b1 = 0.8, b2 = 0.95, wd = 0.1, eps = 1e-8;
      Tensor x = Tensors.doubles(1.0);
      x.set_requires_grad(true);
      AdamW opt = Optimizers.adamW(List.of(x), lr, b1, b2, wd);
      double[] c = {0.5, -2.0};
      for (double ct : c) {
        opt.zero_grad();
        x.mul(new Scalar(ct)).sum().backward();
        opt.step();
      }
      double xv = 1.0, m = 0, v = 0;
      for (int t = 1; t <= 2; t++) {
        double g = c[t - 1];
        xv -= lr * wd * xv;
        m = b1 * m + (1 - b1) * g;
        v = b2 * v + (1 - b2) * g * g;
        double mhat = m / (1 - Math.pow(b1, t));
        double vhat = v / (1 - Math.pow(b2, t));
        xv -= lr * mhat / (Math.sqrt(vhat) + eps);
      }
      assertThat(x.item_double()).isCloseTo(xv, org.assertj.core.data.Offset.offset(1e-12));
    }
  }

  @Test
  void scheduleWarmsUpThenDecays() {
    LrSchedule s = new LrSchedule(1.0, 10, 110, true, 0.1);
    assertThat(s.at(1)).isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(s.at(10)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(s.at(60)).isCloseTo(0.55, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(s.at(110)).isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(new LrSchedule(2.0, 0, 50, false, 1).at(40)).isEqualTo(2.0);
  }
}
