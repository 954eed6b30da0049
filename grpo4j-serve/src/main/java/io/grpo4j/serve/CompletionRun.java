package io.grpo4j.serve;

import io.grpo4j.generate.GeneratedToken;
import io.grpo4j.generate.Sample;
import io.grpo4j.generate.TokenListener;
import io.grpo4j.model.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One request in flight: receives tokens from the engine thread, turns them into text pieces (stop
 * strings applied), and queues them as events for the HTTP thread, which either streams them or
 * collects them into one response. Text work happens here, on the engine thread, so a stop string
 * ends its completion before the next decode step.
 */
final class CompletionRun implements TokenListener {
  sealed interface Event {}

  /** New text of one choice (may be empty when only logprobs arrived). */
  record Delta(int choice, String text, List<TokenLogprob> logprobs) implements Event {}

  record Finished(int choice, String reason, int completionTokens) implements Event {}

  record Failed(RuntimeException error) implements Event {}

  record TokenLogprob(String token, byte[] bytes, float logprob, List<TopLogprob> top) {}

  record TopLogprob(String token, byte[] bytes, float logprob) {}

  private final GenerationJob job;
  private final Tokenizer tokenizer;
  private final TextStream[] streams;
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final long startNanos;
  private volatile long firstTokenNanos;

  CompletionRun(GenerationJob job, Tokenizer tokenizer, long startNanos) {
    this.job = job;
    this.tokenizer = tokenizer;
    this.startNanos = startNanos;
    this.streams = new TextStream[job.n()];
    for (int i = 0; i < streams.length; i++)
      streams[i] = new TextStream(tokenizer::decode, job.stops());
  }

  /** The next event, waiting for it. */
  Event next() throws InterruptedException {
    return events.take();
  }

  /** Seconds from the request's arrival to its first token, or NaN if none came yet. */
  double timeToFirstTokenSeconds() {
    long t = firstTokenNanos;
    return t == 0 ? Double.NaN : (t - startNanos) / 1e9;
  }

  @Override
  public boolean onToken(int choice, GeneratedToken token) {
    if (firstTokenNanos == 0) firstTokenNanos = System.nanoTime();
    TextStream s = streams[choice];
    String piece = s.push(token.id());
    List<TokenLogprob> lps = job.logprobs() ? List.of(logprob(token)) : List.of();
    if (!piece.isEmpty() || !lps.isEmpty()) events.add(new Delta(choice, piece, lps));
    return !s.stopped();
  }

  @Override
  public void onFinish(int choice, Sample.FinishReason reason, int completionTokens) {
    if (firstTokenNanos == 0) firstTokenNanos = System.nanoTime();
    String rest = streams[choice].flush();
    if (!rest.isEmpty()) events.add(new Delta(choice, rest, List.of()));
    events.add(new Finished(choice, reason.wireName(), completionTokens));
  }

  @Override
  public void onError(RuntimeException error) {
    events.add(new Failed(error));
  }

  private TokenLogprob logprob(GeneratedToken t) {
    List<TopLogprob> top = new ArrayList<>(t.topIds().length);
    for (int i = 0; i < t.topIds().length; i++) {
      int id = t.topIds()[i];
      top.add(new TopLogprob(tokenText(id), tokenBytes(id), t.topLogprobs()[i]));
    }
    return new TokenLogprob(tokenText(t.id()), tokenBytes(t.id()), t.logprob(), top);
  }

  private byte[] tokenBytes(int id) {
    try {
      return tokenizer.tokenBytes(id);
    } catch (UnsupportedOperationException e) {
      return tokenText(id).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  private String tokenText(int id) {
    return tokenizer.decode(new int[] {id});
  }
}
