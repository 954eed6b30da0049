package io.grpo4j.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a training forward/backward is computed, without changing what it computes: the memory and
 * speed switches of {@code model.*} in {@link RunConfig}.
 *
 * @param gradientCheckpointing keep only each decoder layer's input in the forward pass and
 *     recompute the layer in the backward pass (activation memory of one layer instead of all)
 * @param logitsChunk tokens per lm_head chunk: the loss never holds more than this many rows of
 *     vocabulary-wide logits
 * @param sharePrompt compute each prompt once for the G completions sampled from it, in the
 *     training, reference and π_old forward passes (GRPO; not combined with checkpointing)
 */
public record TrainOptions(boolean gradientCheckpointing, int logitsChunk, boolean sharePrompt) {
  public TrainOptions {
    if (logitsChunk < 1)
      throw new IllegalArgumentException("model.logits_chunk must be >= 1, got " + logitsChunk);
  }

  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("gradient_checkpointing", gradientCheckpointing);
    m.put("logits_chunk", logitsChunk);
    m.put("share_prompt", sharePrompt);
    return m;
  }
}
