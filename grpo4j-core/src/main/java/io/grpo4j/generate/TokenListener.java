package io.grpo4j.generate;

/**
 * Receives what the {@link BatchEngine} generates for one request, on the engine's thread: keep the
 * calls short (hand the tokens to another thread to write to a network).
 */
public interface TokenListener {
  /**
   * A new token of completion {@code choice}. Return false to end that completion here (finish
   * reason {@code stop}, e.g. because a stop string appeared or the client went away).
   */
  boolean onToken(int choice, GeneratedToken token);

  /**
   * Completion {@code choice} ended.
   *
   * @param completionTokens tokens generated, a final stop token included (it is not passed to
   *     {@link #onToken})
   */
  void onFinish(int choice, Sample.FinishReason reason, int completionTokens);

  /** The request failed as a whole (e.g. the forward pass threw); no more calls follow. */
  void onError(RuntimeException error);
}
