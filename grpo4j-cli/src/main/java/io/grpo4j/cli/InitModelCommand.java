package io.grpo4j.cli;

import io.grpo4j.model.Qwen2Config;
import io.grpo4j.model.RandomModel;
import io.grpo4j.model.TinyPreset;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Torch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "init-model",
    description = {
      "Write a randomly initialised model folder (HF layout): a built-in preset, or any Qwen2 shape",
      "from a config.json (--config) or a model folder (--like), e.g. to smoke-test the 1.5B recipe",
      "without its weights. Without a tokenizer the folder gets the tiny preset's byte-level one",
      "(any vocab_size >= 259)."
    })
final class InitModelCommand implements Callable<Integer> {
  @Option(
      names = "--preset",
      description =
          "tiny (~3.2M params, byte tokenizer) or bench25m (~25M params); the default without"
              + " --config/--like is tiny.")
  String preset;

  @Option(
      names = "--config",
      description = "A Hugging Face Qwen2 config.json giving the shape (any size).")
  Path config;

  @Option(
      names = "--like",
      description =
          "A model folder: its config.json gives the shape and its tokenizer is copied (unless"
              + " --tokenizer says otherwise); its weights are not read.")
  Path like;

  @Option(
      names = "--tokenizer",
      description =
          "Copy the tokenizer files from this folder (its vocabulary must fit in vocab_size);"
              + " default with --config: the byte-level tokenizer.")
  Path tokenizer;

  @Option(names = "--out", required = true, description = "Folder to write (created if missing).")
  Path out;

  @Option(
      names = "--seed",
      description = "Initialisation seed; same seed, same bytes (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Option(
      names = "--storage-dtype",
      description = "Dtype of the safetensors file: f32, bf16 or f16 (default: ${DEFAULT-VALUE}).")
  String storage = "f32";

  @Override
  public Integer call() throws Exception {
    int shapes = (preset != null ? 1 : 0) + (config != null ? 1 : 0) + (like != null ? 1 : 0);
    if (shapes > 1)
      throw new IllegalArgumentException("give one of --preset, --config and --like, not several");
    if (tokenizer != null && config == null && like == null)
      throw new IllegalArgumentException("--tokenizer goes with --config or --like");
    DType dtype = DType.parse(storage);
    Torch.init(0, seed);
    if (config == null && like == null) {
      String p = preset == null ? "tiny" : preset;
      Qwen2Config c = TinyPreset.config(p);
      TinyPreset.write(p, out, seed, dtype);
      System.out.printf(
          "wrote %s preset (%,d parameters, seed %d) to %s%n", p, c.parameterCount(), seed, out);
      return 0;
    }
    Path cfg = config != null ? config : like.resolve("config.json");
    Path tok = tokenizer;
    if (tok == null && like != null && Files.isRegularFile(like.resolve("tokenizer.json")))
      tok = like;
    RandomModel.Plan plan = RandomModel.write(cfg, tok, out, seed, dtype);
    System.out.printf(
        "wrote a random %d-layer Qwen2 model (%,d parameters, %.2f GB of %s weights, seed %d,"
            + " %s tokenizer) to %s%n",
        plan.config().numHiddenLayers(),
        plan.config().parameterCount(),
        plan.weightBytes(dtype) / 1e9,
        dtype.name().toLowerCase(java.util.Locale.ROOT),
        seed,
        tok == null ? "the byte-level" : tok + "'s",
        out);
    return 0;
  }
}
