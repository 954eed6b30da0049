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
        "Copy a model folder (e.g. a checkpoint) as a clean HF folder, optionally in another storage dtype.")
final class ExportCommand implements Callable<Integer> {
  @Mixin ModelOption model;

  @Option(names = "--out", required = true, description = "Destination folder.")
  Path out;

  @Option(
      names = "--dtype",
      description = "Storage dtype: f32, bf16 or f16 (default: ${DEFAULT-VALUE}).")
  String dtype = "bf16";

  @Override
  public Integer call() throws Exception {
    Torch.init(0, 0);
    DType storage = DType.parse(dtype);
    try (ModelFolder folder = model.open()) {
      folder.exportTo(out, storage);
    }
    System.out.println("exported " + model + " to " + out + " (" + storage + ")");
    return 0;
  }
}
