package io.grpo4j.torch;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.bytedeco.javacpp.Pointer;

/**
 * Native objects JavaCPP must never deallocate: one reference more than any {@code PointerScope}
 * gives back, and kept reachable so that the garbage collector's deallocator thread never sees
 * them. For values whose Java type carries the wrong deallocator (the CUDA graph pool id, {@link
 * CudaGraph}) and for objects whose native destructor must not run from Java (the c10d store and
 * backend, {@code io.grpo4j.dist.C10dGroup}). Each one is a deliberate, bounded leak: a few per
 * process.
 */
public final class Pinned {
  private static final Queue<Pointer> PINNED = new ConcurrentLinkedQueue<>();

  private Pinned() {}

  /** {@code p}, never to be deallocated by JavaCPP. */
  public static <P extends Pointer> P forever(P p) {
    p.retainReference();
    PINNED.add(p);
    return p;
  }
}
