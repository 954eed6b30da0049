package io.grpo4j.train;

import java.io.PrintStream;

/**
 * Keeps NaN and infinity out of the weights. An update whose loss or gradient norm is not finite is
 * reported by {@link #isFinite}, and the trainer skips it (gradients zeroed, no optimizer step, so
 * neither the weights nor AdamW's moments see it); a single bad batch then costs one step instead
 * of the run. After {@code maxConsecutive} skipped updates in a row the run is considered diverged
 * and stops with {@link DivergedException}: the trainers write no checkpoint for a step whose
 * update was skipped, so the newest checkpoint on disk is the last good one.
 */
final class NonFiniteGuard {
  private final int maxConsecutive;
  private final PrintStream out;
  private int consecutive;

  /** The run stopped because too many updates in a row were not finite. */
  static final class DivergedException extends IllegalStateException {
    DivergedException(String message) {
      super(message);
    }
  }

  /**
   * @param maxConsecutive skipped updates in a row that stop the run ({@code
   *     train.max_skipped_steps})
   */
  NonFiniteGuard(int maxConsecutive, PrintStream out) {
    if (maxConsecutive < 1)
      throw new IllegalArgumentException(
          "train.max_skipped_steps must be >= 1, got " + maxConsecutive);
    this.maxConsecutive = maxConsecutive;
    this.out = out;
  }

  /**
   * True when {@code loss} and {@code gradNorm} are finite (the caller then steps the optimizer);
   * otherwise reports the skipped update and returns false (the caller zeroes the gradients and
   * does not step).
   *
   * @throws DivergedException on the {@code maxConsecutive}-th non-finite update in a row
   */
  boolean isFinite(long step, double loss, double gradNorm) {
    if (Double.isFinite(loss) && Double.isFinite(gradNorm)) {
      consecutive = 0;
      return true;
    }
    consecutive++;
    String what =
        String.format(
            "non-finite %s at step %d (loss %s, grad norm %s)",
            Double.isFinite(loss) ? "gradient norm" : "loss", step, loss, gradNorm);
    if (consecutive >= maxConsecutive) {
      throw new DivergedException(
          what
              + ": "
              + consecutive
              + " updates in a row were skipped (train.max_skipped_steps="
              + maxConsecutive
              + "), so the run has diverged and stops here. No checkpoint was written after the last good "
              + "update, so the newest one in checkpoints/ is the last good state: start a new run from it (--init) with a lower learning rate.");
    }
    out.printf(
        "%s: update skipped (%d in a row; the run stops at %d)%n",
        what, consecutive, maxConsecutive);
    return false;
  }

  /** Skipped updates in a row so far. */
  int consecutive() {
    return consecutive;
  }
}
