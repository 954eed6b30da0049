package io.grpo4j.train;

/**
 * Learning rate at an optimizer step (1-based): linear warm-up over {@code warmupSteps}, then
 * either constant or a cosine decay to {@code lr × minRatio} at {@code totalSteps}.
 */
public record LrSchedule(
    double lr, int warmupSteps, int totalSteps, boolean cosine, double minRatio) {
  public double at(int step) {
    if (warmupSteps > 0 && step <= warmupSteps) return lr * step / warmupSteps;
    if (!cosine) return lr;
    double progress =
        Math.min(1.0, (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
    double cos = 0.5 * (1 + Math.cos(Math.PI * progress));
    return lr * (minRatio + (1 - minRatio) * cos);
  }
}
