package io.grpo4j.cli;

import io.grpo4j.model.ModelFolder;
import io.grpo4j.model.ModelKind;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --model DIR} and {@code --adapter DIR}, shared by the commands that load one model folder
 * (generate, eval, eval-int8, export, serve).
 */
final class ModelOption {
  @Option(
      names = "--model",
      required = true,
      paramLabel = "<model>",
      description =
          "Hugging Face model folder (a run's checkpoint folder is one; a LoRA checkpoint opens as its base plus the adapter).")
  Path dir;

  @Option(
      names = "--adapter",
      paramLabel = "[NAME=]DIR",
      description =
          "A LoRA adapter folder in PEFT's layout (adapter_config.json + adapter_model.safetensors) to apply"
              + " on top of --model. serve takes several, each served under NAME (default: the folder's name).")
  List<String> adapters = new ArrayList<>();

  /** The model folder with the one {@code --adapter} (if any) on top. */
  ModelFolder open() throws IOException {
    Path adapter = adapter();
    ModelFolder folder = ModelFolder.open(dir);
    return adapter == null ? folder : folder.withAdapter(adapter);
  }

  /** The one {@code --adapter} folder, or null without one. */
  Path adapter() {
    if (adapters.size() > 1)
      throw new IllegalArgumentException(
          "this command takes one --adapter, got " + adapters.size() + ": " + adapters);
    return adapters.isEmpty() ? null : named().values().iterator().next();
  }

  /** Every {@code --adapter} by its name: NAME from NAME=DIR, else the folder's name. */
  Map<String, Path> named() {
    Map<String, Path> out = new LinkedHashMap<>();
    for (String a : adapters) {
      int eq = a.indexOf('=');
      Path p = Path.of(eq < 0 ? a : a.substring(eq + 1));
      String name =
          eq < 0 ? p.toAbsolutePath().normalize().getFileName().toString() : a.substring(0, eq);
      if (name.isBlank())
        throw new IllegalArgumentException("--adapter " + a + ": the name before '=' is empty");
      if (out.put(name, p) != null)
        throw new IllegalArgumentException(
            "--adapter: two adapters are named '" + name + "'; name them with NAME=DIR");
    }
    return out;
  }

  /**
   * Opens the folder as whichever kind its config.json declares (for kind-neutral commands); {@link
   * #open} refuses a masked-diffusion folder, saying what it is.
   */
  ModelFolder openAnyKind() throws IOException {
    if (ModelKind.of(dir) != ModelKind.MASKED_DIFFUSION) return open();
    if (adapter() != null)
      throw new IllegalArgumentException(
          "--adapter: "
              + dir
              + " is a masked-diffusion model; LoRA adapters apply to autoregressive ones");
    return ModelFolder.open(dir, ModelKind.MASKED_DIFFUSION);
  }

  @Override
  public String toString() {
    return adapters.isEmpty() ? dir.toString() : dir + " + " + String.join(", ", adapters);
  }
}
