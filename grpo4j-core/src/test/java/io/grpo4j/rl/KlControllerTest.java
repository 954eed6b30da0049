package io.grpo4j.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class KlControllerTest {
  /** A controller without bounds: λ in [0, ∞). */
  private static KlController unbounded(double initialLambda, double target, double horizon) {
    return new KlController(initialLambda, target, horizon, 0, Double.POSITIVE_INFINITY);
  }

  @Test
  void correctionIsProportionalAndClipped() {
    // target 0.05, horizon 10, one step each: λ·(1 + clip(kl/0.05 − 1, ±0.2)/10)
    var c = unbounded(0.1, 0.05, 10);
    assertThat(c.update(0.055, 1)).isCloseTo(0.1 * 1.01, within(1e-15)); // error 0.1
    var high = unbounded(0.1, 0.05, 10);
    assertThat(high.update(0.5, 1)).isCloseTo(0.1 * 1.02, within(1e-15)); // error 9 clipped to 0.2
    var low = unbounded(0.1, 0.05, 10);
    assertThat(low.update(0.0, 1)).isCloseTo(0.1 * 0.98, within(1e-15)); // error -1 clipped to -0.2
    var many = unbounded(0.1, 0.05, 10);
    assertThat(many.update(0.5, 5)).isCloseTo(0.1 * 1.1, within(1e-15)); // 5 steps of 10
    assertThat(many.update(Double.NaN, 5))
        .isCloseTo(0.11, within(1e-15)); // no measurement, no change
    assertThat(unbounded(0.1, 0.05, 1).update(0.0, 10)).isEqualTo(0.0); // never negative
  }

  /** On a plant where KL falls as 1/λ, the controller settles where KL hits the target. */
  @Test
  void drivesKlTowardTheTarget() {
    var c = unbounded(0.01, 0.05, 20);
    double kl = 0;
    for (int step = 0; step < 2000; step++) {
      kl = 0.001 / c.value();
      c.update(kl, 1);
    }
    assertThat(kl).isCloseTo(0.05, within(0.002));
    assertThat(c.value()).isCloseTo(0.02, within(0.001));
  }

  @Test
  void rejectsBadSettings() {
    assertThatThrownBy(() -> unbounded(0.1, 0, 10)).hasMessageContaining("rl.kl.target");
    assertThatThrownBy(() -> unbounded(0.1, 0.05, 0)).hasMessageContaining("rl.kl.horizon");
    assertThatThrownBy(() -> unbounded(-1, 0.05, 10)).hasMessageContaining(">= 0");
  }

  @Test
  void boundsHoldTheCoefficientBetweenFloorAndCeiling() {
    KlController c = new KlController(1.0, 0.05, 1.0, 0.5, 2.0);
    for (int i = 0; i < 20; i++) c.update(0.0, 1); // KL far below target: −20 % a step
    assertThat(c.value()).isEqualTo(0.5);
    for (int i = 0; i < 20; i++) c.update(1.0, 1); // far above: +20 % a step
    assertThat(c.value()).isEqualTo(2.0);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new KlController(1.0, 0.05, 1.0, 2.0, 1.0))
        .hasMessageContaining("bounds");
  }
}
