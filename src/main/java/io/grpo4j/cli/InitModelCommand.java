package io.grpo4j.cli;

import io.grpo4j.model.Qwen2Config;
import io.grpo4j.model.TinyPreset;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Torch;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "init-model",
    mixinStandardHelpOptions = true,
    description = "Write a randomly initialised model folder (HF layout) for a built-in preset.")
final class InitModelCommand implements Callable<Integer> {
  @Option(
      names = "--preset",
      defaultValue = "tiny",
      description =
          "tiny (~3.2M params, byte tokenizer) or bench25m (~25M params) (default: ${DEFAULT-VALUE}).")
  String preset;

  @Option(names = "--out", required = true, description = "Folder to write (created if missing).")
  Path out;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "Initialisation seed; same seed, same bytes (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--storage-dtype",
      defaultValue = "f32",
      description = "Dtype of the safetensors file: f32, bf16 or f16 (default: ${DEFAULT-VALUE}).")
  String storage;

  @Override
  public Integer call() throws Exception {
    Torch.init(0, seed);
    Qwen2Config c = TinyPreset.config(preset);
    TinyPreset.write(preset, out, seed, DType.parse(storage));
    System.out.printf(
        "wrote %s preset (%,d parameters, seed %d) to %s%n", preset, c.parameterCount(), seed, out);
    return 0;
  }
}
