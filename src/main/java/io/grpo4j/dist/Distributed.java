package io.grpo4j.dist;

import java.time.Duration;

/** Joins the job this process belongs to, as its environment describes it. */
public final class Distributed {
  private Distributed() {}

  /**
   * The group of this process: {@link DistGroup#single()} when {@code env} is a job of one,
   * otherwise a c10d group with the backend {@code kind} resolves to for {@code device} (see {@link
   * C10dGroup#join} for the timeouts).
   */
  public static DistGroup join(
      DistEnv env, BackendKind kind, String device, Duration joinTimeout, Duration timeout) {
    if (!env.distributed()) return DistGroup.single();
    return C10dGroup.join(env, kind.resolve(device), joinTimeout, timeout);
  }
}
