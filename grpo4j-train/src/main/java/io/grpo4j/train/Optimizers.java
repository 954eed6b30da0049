package io.grpo4j.train;

import java.util.Collection;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;

/** libtorch's AdamW, configured correctly from Java. */
public final class Optimizers {
  private Optimizers() {}

  /**
   * AdamW over {@code params} (which must require grad). Measured: {@code AdamWOptions.betas()} is
   * a view of a C++ tuple stored back to front, so index 0 is β2 and index 1 is β1; the closed-form
   * first step in the tests pins this down.
   */
  public static AdamW adamW(
      Collection<Tensor> params, double lr, double beta1, double beta2, double weightDecay) {
    AdamWOptions o = new AdamWOptions(lr);
    o.betas().put(0, beta2).put(1, beta1);
    o.eps().put(1e-8);
    o.weight_decay().put(weightDecay);
    return new AdamW(new TensorVector(params.toArray(new Tensor[0])), o);
  }

  /** Sets the learning rate of every parameter group (for schedules). */
  public static void setLr(AdamW opt, double lr) {
    var groups = opt.param_groups();
    for (long i = 0; i < groups.size(); i++) groups.get(i).options().set_lr(lr);
  }

  /**
   * Global L2 norm of the gradients, clipped in place to {@code maxNorm}; returns the norm before
   * clipping.
   */
  public static double clipGradNorm(Collection<Tensor> params, double maxNorm) {
    return org.bytedeco.pytorch.global.torch.clip_grad_norm_(
        new TensorVector(params.toArray(new Tensor[0])), maxNorm, 2.0, false);
  }
}
