package io.grpo4j.dist;

/**
 * A collective or the rendezvous failed: a peer rank died, hung past the timeout, or never joined.
 * The message names this rank, the operation and the timeout, so a log of any rank says what went
 * wrong.
 */
public final class DistException extends RuntimeException {
  public DistException(String message, Throwable cause) {
    super(message, cause);
  }

  public DistException(String message) {
    super(message);
  }
}
