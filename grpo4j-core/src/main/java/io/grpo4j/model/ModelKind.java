package io.grpo4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Which kind of language model a folder holds, as its config.json's {@code model_type} says: an
 * autoregressive Qwen2 ({@code qwen2}) or a masked-diffusion model ({@code qwen2_mdm}, {@link
 * DiffusionConfig}). Commands that accept either pick their code path with it; the loaders of each
 * kind refuse the other.
 */
public enum ModelKind {
  /** Causal attention, next-token prediction: {@link Qwen2Model}. */
  CAUSAL,
  /** Bidirectional attention, [MASK] denoising: {@link MaskedDiffusionModel}. */
  MASKED_DIFFUSION;

  /**
   * The config spelling ({@code model.architecture}): {@code causal} or {@code masked_diffusion}.
   */
  public String configName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Parses {@code causal} or {@code masked_diffusion}; errors name {@code key}. */
  public static ModelKind parse(String key, String text) {
    for (ModelKind k : values()) {
      if (k.configName()
          .equals(text == null ? null : text.trim().toLowerCase(java.util.Locale.ROOT))) return k;
    }
    throw new IllegalArgumentException(
        key + ": unknown value '" + text + "', expected one of causal, masked_diffusion");
  }

  /** The kind of the model folder {@code dir} (its config.json's model_type). */
  public static ModelKind of(Path dir) throws IOException {
    Path file = dir.resolve("config.json");
    if (!Files.isRegularFile(file)) {
      // a LoRA adapter folder (PEFT's layout, no config.json) adapts an autoregressive model
      if (Files.isRegularFile(dir.resolve(LoraAdapters.CONFIG_FILE))) return CAUSAL;
      throw new NoSuchFileException(file + " (a model folder needs config.json)");
    }
    return of(HfCheckpoint.readJson(file));
  }

  /** The kind a parsed config.json declares. */
  public static ModelKind of(JsonNode config) {
    return DiffusionConfig.declaredBy(config) ? MASKED_DIFFUSION : CAUSAL;
  }
}
