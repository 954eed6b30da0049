package io.grpo4j.train;

import io.grpo4j.config.RunConfig;
import io.grpo4j.model.HfCheckpoint;
import io.grpo4j.model.LoraAdapters;
import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.Qwen2Config;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.torch.DType;
import java.io.IOException;
import java.nio.file.Path;
import org.bytedeco.pytorch.Device;

/**
 * The model a trainer updates, as a run's config asks for it: every weight in f32 (full
 * fine-tuning), or with LoRA ({@code model.lora.r} &gt; 0) the frozen base in {@code model.dtype}
 * plus f32 adapters.
 */
public final class Trainable {
  private Trainable() {}

  /**
   * The trainable model on {@code device}, from {@code checkpoint} when resuming (null: from {@code
   * folder}, the run's {@code model.init}). Full fine-tuning: f32 weights (an adapter folder given
   * as {@code model.init} is merged into its base). LoRA: the {@code model.init} weights (any
   * adapters it carries merged) frozen in {@code model.dtype} (int8 projections with {@code
   * model.lora.int8_base}), with fresh adapters (A from the run's seed, B = 0) or the checkpoint's,
   * which must have been made with the same {@code model.lora} settings.
   */
  public static Qwen2Model load(RunConfig cfg, ModelFolder folder, Path checkpoint, Device device)
      throws IOException {
    RunConfig.Lora lora = cfg.model().lora();
    if (!lora.enabled()) {
      return checkpoint == null
          ? folder.loadMerged(DType.F32, device)
          : HfCheckpoint.loadWeights(checkpoint, folder.config(), DType.F32, device);
    }
    Qwen2Model base =
        folder.loadMerged(DType.resolve(cfg.model().dtype(), cfg.model().device()), device);
    if (lora.int8Base()) base = base.quantizedInt8();
    LoraAdapters adapters =
        checkpoint == null
            ? LoraAdapters.initialize(
                folder.config(),
                lora.config(),
                Seeds.derive(cfg.seed(), Seeds.LORA_INIT, 0),
                device)
            : LoraAdapters.load(checkpoint, folder.config(), device);
    if (!adapters.config().equals(lora.config()))
      throw new IllegalArgumentException(
          checkpoint
              + " holds adapters "
              + adapters.config()
              + " but model.lora asks for "
              + lora.config());
    return base.withLora(adapters);
  }

  /** The number of weights training updates (and checkpoints store with their AdamW state). */
  public static long parameterCount(RunConfig cfg, Qwen2Config model) {
    RunConfig.Lora lora = cfg.model().lora();
    return lora.enabled()
        ? LoraAdapters.parameterCount(model, lora.config())
        : model.parameterCount();
  }
}
