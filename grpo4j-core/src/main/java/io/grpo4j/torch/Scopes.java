package io.grpo4j.torch;

import java.util.function.Supplier;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * Helpers for JavaCPP's {@link PointerScope}: every tensor handle created inside a scope stays
 * alive until the scope closes, so a loop over layers inside one step scope keeps every layer's
 * intermediates alive. Running each piece in its own scope and keeping only its result is what lets
 * memory-saving schemes (gradient checkpointing, chunked logits) actually free memory.
 */
public final class Scopes {
  private Scopes() {}

  /**
   * Runs {@code body} in a fresh scope and returns its result, which alone survives: it is handed
   * to the enclosing scope (or, with none, left to JavaCPP's garbage-collected deallocation).
   */
  public static Tensor keepOnly(Supplier<Tensor> body) {
    PointerScope outer = PointerScope.getInnerScope();
    try (PointerScope inner = new PointerScope()) {
      Tensor result = body.get();
      if (outer != null) {
        outer.attach(result);
      } else {
        result.retainReference();
      }
      return result;
    }
  }
}
