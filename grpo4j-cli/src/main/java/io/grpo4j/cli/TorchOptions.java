package io.grpo4j.cli;

import io.grpo4j.torch.DType;
import io.grpo4j.torch.Torch;
import picocli.CommandLine.Option;

/** Options shared by every command that runs a model: device, dtype, threads. */
final class TorchOptions {
  @Option(names = "--device", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
  String device = "cpu";

  @Option(
      names = "--dtype",
      description = "Compute dtype: f32, bf16 or f16 (default: ${DEFAULT-VALUE}).")
  String dtype = "f32";

  @Option(
      names = "--threads",
      description = "libtorch intra-op threads; 0 = one per core (default).")
  int threads = 0;

  DType dtype() {
    DType d = DType.parse(dtype);
    if (!d.isFloatingPoint())
      throw new IllegalArgumentException("--dtype must be f32, bf16 or f16, got " + dtype);
    return d;
  }

  /**
   * Sets threads and seed, checks {@code --device} before any file is read, and returns its
   * canonical name for {@code ModelFolder.loadModel}.
   */
  String init(long seed) {
    Torch.init(threads, seed);
    return Torch.deviceName(device);
  }
}
