package io.grpo4j.torch;

/**
 * Another libtorch (or c10, gomp, OpenBLAS) than the one of grpo4j's natives jar is, or would be,
 * loaded into this process; the message names the files. Thrown instead of letting two libtorch
 * copies meet (which crashes the JVM); see {@link NativeLoader}.
 */
public final class ForeignLibtorchException extends IllegalStateException {
  public ForeignLibtorchException(String message) {
    super(message);
  }
}
