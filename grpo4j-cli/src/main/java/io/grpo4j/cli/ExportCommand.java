package io.grpo4j.cli;

import io.grpo4j.model.ModelFolder;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.Torch;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "export",
    description =
        "Copy a model folder (e.g. a checkpoint) as a clean HF folder, optionally in another storage dtype;"
            + " with LoRA adapters (--adapter, or a LoRA checkpoint as --model), --merge writes W + (alpha/r)*B*A.")
final class ExportCommand implements Callable<Integer> {
  @Mixin ModelOption model;

  @Option(names = "--out", required = true, description = "Destination folder.")
  Path out;

  @Option(
      names = "--dtype",
      description = "Storage dtype: f32, bf16 or f16 (default: ${DEFAULT-VALUE}).")
  String dtype = "bf16";

  @Option(
      names = "--merge",
      description =
          "Merge the LoRA adapters into the weights (W + (alpha/r)*B*A): a plain HF model folder.")
  boolean merge;

  @Override
  public Integer call() throws Exception {
    Torch.init(0, 0);
    DType storage = DType.parse(dtype);
    try (ModelFolder folder = model.openAnyKind()) { // a masked-diffusion folder exports as one
      if (!folder.adapters().isEmpty() && !merge)
        throw new IllegalArgumentException(
            model
                + " carries LoRA adapters "
                + folder.adapters()
                + ": pass --merge to write the merged model (the adapter folder itself is already"
                + " PEFT's format)");
      if (folder.adapters().isEmpty() && merge)
        throw new IllegalArgumentException(
            "--merge: " + model + " has no LoRA adapter to merge (give one with --adapter DIR)");
      folder.exportTo(out, storage);
    }
    System.out.println(
        "exported "
            + model
            + " to "
            + out
            + " ("
            + storage
            + (merge ? ", adapters merged" : "")
            + ")");
    return 0;
  }
}
