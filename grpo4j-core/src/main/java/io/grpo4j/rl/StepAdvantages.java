package io.grpo4j.rl;

import static io.grpo4j.torch.Ops.add;
import static io.grpo4j.torch.Ops.clampMin;
import static io.grpo4j.torch.Ops.lt;
import static io.grpo4j.torch.Ops.mean;
import static io.grpo4j.torch.Ops.sub;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Step-level group-relative advantages of a masked-diffusion rollout ({@link
 * DiffusionAdvantage#STEP_DELTA}, {@link DiffusionAdvantage#STATE_DELTA}). Each of the B = P·G rows
 * took the same T denoising steps; {@code stepRewards d [B, T]} holds the reward of each step (a
 * difference of two states' scores, so Σ_s d_{i,s} telescopes to the last score minus the first).
 * Step s is judged against the same step of the other G − 1 completions of the prompt:
 *
 * <pre>
 * A_{i,s} = (d_{i,s} − mean_g d_{·,s}) / (max(std_g d_{·,s}, f) + ε)      (scaleRewards)
 * A_{i,s} =  d_{i,s} − mean_g d_{·,s}                                      (otherwise)
 * </pre>
 *
 * std_g the sample standard deviation over the group (G − 1, as {@link Advantages}' sequence mode),
 * f the std floor. A token gets the advantage of the step that committed it: A_{i,k} = A_{i,
 * s(i,k)}. Not clipped, like the sequence advantage. No gradient flows through any of it.
 *
 * @param scaleRewards divide by the per-step group std ({@code rl.advantage.scale_rewards})
 * @param epsilon ε ({@code rl.advantage.epsilon})
 * @param stdFloor f, 0 = off ({@code rl.advantage.std_floor})
 */
public record StepAdvantages(boolean scaleRewards, double epsilon, double stdFloor) {

  /** The settings of the run's {@code rl.advantage} section. */
  public static StepAdvantages of(Advantages a) {
    return new StepAdvantages(a.scaleRewards(), a.epsilon(), a.stdFloor());
  }

  /** A [B, T] from step rewards d [B, T]; B a multiple of {@code groupSize}. */
  public Tensor perStep(Tensor stepRewards, int groupSize) {
    Shapes.requireDim("stepRewards", stepRewards, 2);
    long b = stepRewards.size(0), t = stepRewards.size(1);
    requireGroups(b, groupSize);
    Tensor d = stepRewards.detach().reshape(b / groupSize, groupSize, t); // [P, G, T]
    Tensor a = d.sub(mean(d, true, 1));
    if (scaleRewards) {
      Tensor std = d.std(new long[] {1}, true, true); // [P, 1, T], G − 1
      if (stdFloor > 0) std = clampMin(std, stdFloor);
      a = a.div(add(std, epsilon));
    }
    return a.reshape(b, t);
  }

  /**
   * Token advantages [B, L]: position k of row i gets {@code perStep[i, commitStep[i, k] − 1]}.
   *
   * @param commitStep [B, L] int64, the step 1..T that committed each position
   */
  public static Tensor onTokens(Tensor perStep, Tensor commitStep) {
    Shapes.requireDim("perStep", perStep, 2);
    Shapes.requireDim("commitStep", commitStep, 2);
    if (perStep.size(0) != commitStep.size(0))
      throw new IllegalArgumentException(
          "perStep " + Shapes.of(perStep) + " and commitStep " + Shapes.of(commitStep) + " rows");
    return perStep.gather(1, sub(commitStep.to(ScalarType.Long), 1.0).to(ScalarType.Long));
  }

  /**
   * Share of (group, step) cells whose G step rewards are all equal (std below {@link
   * Advantages#ZERO_STD_TOLERANCE}): steps that teach the group nothing.
   */
  public static double fracZeroStdSteps(Tensor stepRewards, int groupSize) {
    Shapes.requireDim("stepRewards", stepRewards, 2);
    long b = stepRewards.size(0), t = stepRewards.size(1);
    requireGroups(b, groupSize);
    Tensor std =
        stepRewards.detach().reshape(b / groupSize, groupSize, t).std(new long[] {1}, false, false);
    return lt(std, Advantages.ZERO_STD_TOLERANCE).to(ScalarType.Double).mean().item_double();
  }

  private static void requireGroups(long b, int groupSize) {
    if (groupSize < 2)
      throw new IllegalArgumentException(
          "group-relative advantages need rl.group_size >= 2, got " + groupSize);
    if (b % groupSize != 0)
      throw new IllegalArgumentException(
          "batch of " + b + " rows is not a whole number of groups of rl.group_size=" + groupSize);
  }
}
