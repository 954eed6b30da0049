package io.grpo4j.model;

import io.grpo4j.torch.AtomicFiles;
import io.grpo4j.torch.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;

/**
 * Writes a random-initialised model folder for a built-in preset, laid out exactly like a real
 * Qwen2 checkpoint (config.json, model.safetensors, generation_config.json, tokenizer.json,
 * tokenizer_config.json with a ChatML template). The same preset and seed give byte-identical
 * files.
 */
public final class TinyPreset {
  private TinyPreset() {}

  public static Qwen2Config config(String preset) {
    return switch (preset) {
      case "tiny" -> Qwen2Config.tiny();
      case "bench25m" -> Qwen2Config.bench25m();
      default ->
          throw new IllegalArgumentException(
              "unknown preset '" + preset + "': expected tiny or bench25m");
    };
  }

  /**
   * Writes a random-initialised tiny masked-diffusion model folder ({@link DiffusionConfig#tiny}:
   * the tiny Qwen2 shape, bidirectional, the byte tokenizer with {@code <|mask|>} added). The same
   * seed gives byte-identical files.
   */
  public static void writeDiffusion(Path dir, long seed, DType storage) throws IOException {
    DiffusionConfig c = DiffusionConfig.tiny();
    Files.createDirectories(dir);
    try (PointerScope scope = new PointerScope()) {
      MaskedDiffusionModel model =
          MaskedDiffusionModel.initialize(c, seed, DType.F32, new Device("cpu"));
      TinyTokenizer.writeFiles(dir, TinyTokenizer.DEFAULT_MODEL_MAX_LENGTH, true);
      AtomicFiles.writeString(
          dir.resolve("generation_config.json"),
          HfCheckpoint.JSON.writeValueAsString(HfCheckpoint.generationConfig(c.backbone())) + "\n");
      HfCheckpoint.saveDiffusion(
          model, dir, storage, null, null, HfCheckpoint.DEFAULT_MAX_SHARD_BYTES);
    }
  }

  public static void write(String preset, Path dir, long seed, DType storage) throws IOException {
    Qwen2Config c = config(preset);
    Files.createDirectories(dir);
    try (PointerScope scope = new PointerScope()) {
      Qwen2Model model = Qwen2Model.initialize(c, seed, DType.F32, new Device("cpu"));
      TinyTokenizer.writeFiles(dir);
      AtomicFiles.writeString(
          dir.resolve("generation_config.json"),
          HfCheckpoint.JSON.writeValueAsString(HfCheckpoint.generationConfig(c)) + "\n");
      HfCheckpoint.save(model, dir, storage, null, null, HfCheckpoint.DEFAULT_MAX_SHARD_BYTES);
    }
  }
}
