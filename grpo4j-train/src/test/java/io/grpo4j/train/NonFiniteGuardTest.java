package io.grpo4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpo4j.run.Runs;
import io.grpo4j.torch.Tensors;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** A real AdamW over one parameter: non-finite gradients never reach the weights. */
class NonFiniteGuardTest {
  private final ByteArrayOutputStream log = new ByteArrayOutputStream();
  private final NonFiniteGuard guard = new NonFiniteGuard(3, new PrintStream(log, true));

  /** loss = c·x; returns the loss value (c·x, so NaN/Inf when c is). */
  private static double backward(Tensor x, AdamW opt, double c) {
    opt.zero_grad();
    Tensor loss = x.mul(new Scalar(c)).sum();
    loss.backward();
    return loss.item_double();
  }

  /** The trainers' use of the guard: step when finite, otherwise zero the gradients and skip. */
  private boolean update(long step, double loss, double gradNorm, AdamW opt) {
    if (guard.isFinite(step, loss, gradNorm)) {
      opt.step();
      return true;
    }
    opt.zero_grad();
    return false;
  }

  @Test
  void finiteUpdatesStepNonFiniteOnesAreSkippedAndLeaveWeightsAndMomentsAlone() {
    try (PointerScope s = new PointerScope()) {
      Tensor x = Tensors.doubles(1.0);
      x.set_requires_grad(true);
      AdamW opt = Optimizers.adamW(List.of(x), 0.1, 0.9, 0.99, 0.0);
      assertThat(update(1, backward(x, opt, 1.0), 1.0, opt)).isTrue();
      double afterFirst = x.item_double();
      assertThat(afterFirst)
          .isCloseTo(
              0.9, org.assertj.core.data.Offset.offset(1e-6)); // Adam's first step is lr·sign(g)

      double nanLoss = backward(x, opt, Double.NaN);
      assertThat(update(2, nanLoss, Optimizers.clipGradNorm(List.of(x), 1.0), opt)).isFalse();
      assertThat(x.item_double()).isEqualTo(afterFirst);
      assertThat(log.toString()).contains("non-finite loss at step 2").contains("1 in a row");

      double infLoss = backward(x, opt, Double.POSITIVE_INFINITY);
      assertThat(update(3, infLoss, Double.POSITIVE_INFINITY, opt)).isFalse();
      assertThat(x.item_double()).isEqualTo(afterFirst);
      assertThat(guard.consecutive()).isEqualTo(2);

      // A finite update after skipped ones continues exactly as if the bad ones never happened.
      assertThat(update(4, backward(x, opt, 1.0), 1.0, opt)).isTrue();
      assertThat(guard.consecutive()).isZero();
      Tensor y = Tensors.doubles(1.0);
      y.set_requires_grad(true);
      AdamW clean = Optimizers.adamW(List.of(y), 0.1, 0.9, 0.99, 0.0);
      backward(y, clean, 1.0);
      clean.step();
      backward(y, clean, 1.0);
      clean.step();
      assertThat(x.item_double()).isEqualTo(y.item_double());
    }
  }

  @Test
  void aFiniteLossWithANonFiniteGradientNormIsSkippedToo() {
    try (PointerScope s = new PointerScope()) {
      Tensor x = Tensors.doubles(2.0);
      x.set_requires_grad(true);
      AdamW opt = Optimizers.adamW(List.of(x), 0.1, 0.9, 0.99, 0.0);
      assertThat(update(7, backward(x, opt, 1.0), Double.NaN, opt)).isFalse();
      assertThat(x.item_double()).isEqualTo(2.0);
      assertThat(log.toString()).contains("non-finite gradient norm at step 7");
    }
  }

  @Test
  void theKthSkippedUpdateInARowStopsTheRunWithAClearError() {
    try (PointerScope s = new PointerScope()) {
      Tensor x = Tensors.doubles(1.0);
      x.set_requires_grad(true);
      AdamW opt = Optimizers.adamW(List.of(x), 0.1, 0.9, 0.99, 0.0);
      update(1, Double.NaN, 1, opt);
      update(2, Double.NaN, 1, opt);
      assertThatThrownBy(() -> update(3, Double.NaN, 1, opt))
          .isInstanceOf(NonFiniteGuard.DivergedException.class)
          .hasMessageContaining("3 updates in a row")
          .hasMessageContaining("train.max_skipped_steps=3")
          .hasMessageContaining("last good");
      assertThat(x.item_double()).isEqualTo(1.0);
    }
  }

  @Test
  void theLimitMustBePositive() {
    assertThatThrownBy(() -> new NonFiniteGuard(0, System.out))
        .hasMessageContaining("max_skipped_steps");
    assertThatThrownBy(() -> Runs.config(null, List.of("train.max_skipped_steps=0")))
        .hasMessageContaining("train.max_skipped_steps");
  }
}
