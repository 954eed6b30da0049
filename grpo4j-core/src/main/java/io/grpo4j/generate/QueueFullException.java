package io.grpo4j.generate;

/** The engine's waiting queue is at its bound: the caller should retry later (HTTP 429). */
public final class QueueFullException extends RuntimeException {
  public QueueFullException(int bound) {
    super("the request queue is full (" + bound + " waiting); retry later");
  }
}
