package io.grpo4j.train;

import io.grpo4j.model.Qwen2Model;
import io.grpo4j.torch.DType;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Mixed precision: the optimizer keeps f32 master weights (small updates do not vanish in bf16's
 * 8-bit mantissa), while forward and backward run on a bf16 working copy (half the memory traffic,
 * and bf16 matrix units on GPUs and AMX CPUs). After each backward the working copy's gradients are
 * added, in f32, to the master's; after each optimizer step the working copy is refreshed from the
 * master. With f32 compute the working copy is the master itself and both calls do nothing.
 *
 * <p>With LoRA ({@link #lora}) the base is frozen in the compute dtype and the f32 adapters are the
 * master (the forward casts them on the way in, so their gradients arrive in f32): there is no
 * working copy, and {@link #rollout()} is either the adapted model itself or a merged copy (W +
 * s·B·A) that {@link #refresh()} brings up to date after each optimizer step.
 */
public final class WorkingWeights {
  private final Qwen2Model master;
  private final Qwen2Model working;
  private final List<Tensor> masterParams;
  private final List<Tensor> workingParams;

  /** LoRA with merged rollouts: the merged copy of {@link #working}; null otherwise. */
  private final Qwen2Model merged;

  private WorkingWeights(Qwen2Model master, Qwen2Model working, Qwen2Model merged) {
    this.master = master;
    this.working = working;
    this.masterParams = new ArrayList<>(master.parameters().values());
    this.workingParams = new ArrayList<>(working.parameters().values());
    this.merged = merged;
  }

  private WorkingWeights(Qwen2Model master, Qwen2Model working) {
    this(master, working, null);
  }

  /**
   * LoRA: {@code adapted} (a base with f32 adapters, {@link Qwen2Model#withLora}) runs forward and
   * backward itself; rollouts sample from it directly, or with {@code mergedRollouts} from a merged
   * copy of its projections (one extra copy of those weights; {@code model.lora.rollout}).
   */
  static WorkingWeights lora(Qwen2Model adapted, boolean mergedRollouts) {
    if (adapted.lora() == null)
      throw new IllegalArgumentException("expected a model with adapters");
    return new WorkingWeights(adapted, adapted, mergedRollouts ? adapted.merged() : null);
  }

  /** Working weights in {@code compute} for f32 {@code master} weights. */
  public static WorkingWeights of(Qwen2Model master, DType compute) {
    if (master.dtype() != DType.F32)
      throw new IllegalArgumentException("master weights must be f32, got " + master.dtype());
    if (compute == DType.F32) return new WorkingWeights(master, master);
    return offloaded(master, compute, master.device());
  }

  /**
   * Optimizer offload ({@code model.offload_optimizer}): the f32 master weights, their gradients
   * and the optimizer state stay where {@code master} is (host memory), the working copy in {@code
   * compute} lives on {@code device} and is always a separate copy, even in f32. Each {@link
   * #gradientsToMaster} then moves the gradients to the host, each {@link #refresh} the weights
   * back. For 1.5B parameters this keeps 25 GB of f32 state off the GPU (configs/…-12gb.yaml).
   */
  static WorkingWeights offloaded(Qwen2Model master, DType compute, Device device) {
    if (master.dtype() != DType.F32)
      throw new IllegalArgumentException("master weights must be f32, got " + master.dtype());
    Qwen2Model w = master.to(compute, device);
    w.setRequiresGrad(true);
    return new WorkingWeights(master, w);
  }

  /** The model to run forward and backward passes with. */
  public Qwen2Model compute() {
    return working;
  }

  /** The model rollouts sample from: the same function as {@link #compute()}. */
  public Qwen2Model rollout() {
    return merged != null ? merged : working;
  }

  boolean mixed() {
    return working != master;
  }

  /** Adds the working copy's gradients (cast to f32) to the master's and clears them. */
  public void gradientsToMaster() {
    if (!mixed()) return;
    for (int i = 0; i < masterParams.size(); i++) {
      Tensor wg = workingParams.get(i).grad();
      if (!wg.defined()) continue;
      // copy=true: an f32 working copy on the master's device would otherwise hand over its own
      // gradient tensor, which the zero_() below then clears in the master too
      Tensor g =
          wg.to(
              masterParams.get(i).device(),
              torch.ScalarType.Float,
              false,
              true,
              new org.bytedeco.pytorch.MemoryFormatOptional());
      Tensor mg = masterParams.get(i).mutable_grad();
      if (mg.defined()) {
        mg.add_(g);
      } else {
        mg.put(g);
      }
      workingParams.get(i).mutable_grad().zero_();
    }
  }

  /**
   * Copies the master weights into the working copy (after an optimizer step); with LoRA's merged
   * rollouts, merges the adapters into the rollout copy again.
   */
  public void refresh() {
    if (merged != null) working.mergeInto(merged);
    if (!mixed()) return;
    try (NoGradGuard ng = new NoGradGuard()) {
      for (int i = 0; i < masterParams.size(); i++) workingParams.get(i).copy_(masterParams.get(i));
    }
  }
}
