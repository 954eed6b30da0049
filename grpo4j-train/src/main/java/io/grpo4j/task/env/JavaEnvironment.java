package io.grpo4j.task.env;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a Java {@link Environment} on {@code concurrency} threads of its own, so a slow {@code step}
 * never holds up rollouts: each call becomes a future, failed when {@code step} throws, returns
 * null, or takes longer than {@code timeout}.
 */
public final class JavaEnvironment implements EnvironmentClient {
  private final Environment environment;
  private final Duration timeout;
  private final ExecutorService pool;

  public JavaEnvironment(Environment environment, int concurrency, Duration timeout) {
    if (concurrency < 1) {
      throw new IllegalArgumentException("env.concurrency must be >= 1, got " + concurrency);
    }
    this.environment = environment;
    this.timeout = timeout;
    AtomicInteger n = new AtomicInteger();
    this.pool =
        Executors.newFixedThreadPool(
            concurrency,
            r -> {
              Thread t = new Thread(r, "grpo4j-env-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public CompletableFuture<EnvReply> step(EnvRequest request) {
    CompletableFuture<EnvReply> f =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                EnvReply r = environment.step(request);
                return r != null ? r : EnvReply.failure("environment returned no reply (null)");
              } catch (Exception | LinkageError | AssertionError e) {
                return EnvReply.failure("environment threw " + e);
              }
            },
            pool);
    return f.completeOnTimeout(
        EnvReply.failure(
            "environment timed out: no reply within "
                + timeout.toMillis() / 1000.0
                + " s (env.timeout_s)"),
        timeout.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    pool.shutdownNow();
    try {
      environment.close();
    } catch (Exception e) {
      throw new IllegalStateException("closing the environment: " + e, e);
    }
  }
}
