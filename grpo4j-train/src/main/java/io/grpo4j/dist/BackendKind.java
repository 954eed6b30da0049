package io.grpo4j.dist;

import java.util.Locale;

/**
 * The c10d backend of the process group ({@code distributed.backend}, default {@code auto}): Gloo
 * runs collectives on CPU tensors over TCP, NCCL on CUDA tensors over NVLink/InfiniBand. {@code
 * auto} picks by device, as PyTorch does.
 */
public enum BackendKind {
  /** Gloo for {@code cpu}, NCCL for {@code cuda[:N]}. */
  AUTO,
  /** c10d's ProcessGroupGloo (CPU tensors). */
  GLOO,
  /** c10d's ProcessGroupNCCL (CUDA tensors; only in the {@code -Pgpu} natives). */
  NCCL;

  /** The spelling in config files: {@code auto}, {@code gloo}, {@code nccl}. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code auto}, {@code gloo} or {@code nccl} (any case); names the field otherwise. */
  public static BackendKind parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException(
          "distributed.backend must be auto, gloo or nccl, got '" + name + "'");
    }
  }

  /**
   * The concrete backend for {@code device} ({@code cpu}, {@code cuda}, {@code cuda:N}); refuses
   * combinations that cannot work (NCCL on CPU tensors).
   */
  public BackendKind resolve(String device) {
    boolean cuda = device.trim().toLowerCase(Locale.ROOT).startsWith("cuda");
    return switch (this) {
      case AUTO -> cuda ? NCCL : GLOO;
      case GLOO -> GLOO;
      case NCCL -> {
        if (!cuda) {
          throw new IllegalArgumentException(
              "distributed.backend=nccl needs a CUDA device, but the device is '" + device + "'");
        }
        yield NCCL;
      }
    };
  }
}
