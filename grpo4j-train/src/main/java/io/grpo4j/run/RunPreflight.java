package io.grpo4j.run;

import io.grpo4j.torch.AtomicFiles;
import io.grpo4j.torch.DType;
import io.grpo4j.train.Checkpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks made before the first training step, so that a run that cannot save does not find out
 * after an hour of compute: the run folder must be writable, and its file system must have room for
 * the checkpoints the run keeps ({@link Checkpoints#KEEP} plus the one being written) and a margin
 * for metrics and samples.
 */
final class RunPreflight {
  /** Room for metrics.jsonl, samples.jsonl and config files. */
  static final long MARGIN_BYTES = 64L << 20;

  /** Free bytes of the file system holding a folder; replaceable in tests. */
  interface FreeSpace {
    long usableBytes(Path dir) throws IOException;
  }

  private RunPreflight() {}

  static void check(Path runDir, long parameters, DType storage) throws IOException {
    check(runDir, parameters, storage, dir -> Files.getFileStore(dir).getUsableSpace());
  }

  static void check(Path runDir, long parameters, DType storage, FreeSpace free)
      throws IOException {
    requireWritable(runDir);
    long perCheckpoint = checkpointBytes(parameters, storage);
    long need = (Checkpoints.KEEP + 1) * perCheckpoint + MARGIN_BYTES;
    long have = free.usableBytes(runDir);
    if (have < need) {
      throw new IOException(
          runDir
              + ": only "
              + human(have)
              + " free on its file system, but the run needs about "
              + human(need)
              + " ("
              + (Checkpoints.KEEP + 1)
              + " checkpoints of "
              + human(perCheckpoint)
              + ": weights in "
              + storage.name().toLowerCase()
              + " + AdamW state) plus "
              + human(MARGIN_BYTES)
              + " for metrics; free some space or choose another --out");
    }
  }

  /** Weights in the storage dtype plus AdamW's two f32 moments per parameter. */
  static long checkpointBytes(long parameters, DType storage) {
    long weightBytes = storage == DType.F32 ? 4 : 2;
    return parameters * (weightBytes + 8);
  }

  /** Creates the folder if needed and writes and removes a probe file in it. */
  static void requireWritable(Path runDir) throws IOException {
    Path probe = runDir.resolve(".preflight-write-test");
    try {
      Files.createDirectories(runDir);
      AtomicFiles.writeString(probe, "grpo4j checks that this run folder is writable\n");
      Files.delete(probe);
    } catch (IOException | SecurityException e) {
      throw new IOException(
          runDir
              + " is not writable ("
              + e.getClass().getSimpleName()
              + ": "
              + e.getMessage()
              + "); choose another --out or fix its permissions",
          e);
    }
  }

  static String human(long bytes) {
    if (bytes >= 1L << 30) return String.format("%.1f GiB", bytes / (double) (1L << 30));
    return String.format("%.1f MiB", bytes / (double) (1L << 20));
  }
}
