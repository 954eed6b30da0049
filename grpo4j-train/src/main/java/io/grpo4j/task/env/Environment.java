package io.grpo4j.task.env;

/**
 * An environment written in Java: the plug-in counterpart of a program speaking the JSON Lines
 * protocol. {@link #step} gets the same {@link EnvRequest} a program gets and answers the same way:
 * {@link EnvReply#observation} to go on, {@link EnvReply#done} to end the episode. It is called
 * from up to {@code env.concurrency} threads at once, so it must be thread-safe (episodes of the
 * protocol carry their whole history in each request; an environment needs no state of its own).
 *
 * <p>An exception fails the episode (it is not a reward); a call that runs past {@code
 * env.timeout_s} fails too, but Java cannot stop its thread: an environment that may hang belongs
 * in a program, which is killed and restarted.
 */
public interface Environment extends AutoCloseable {

  /** The reply to one model turn. */
  EnvReply step(EnvRequest request) throws Exception;

  /** Releases what the environment holds; by default nothing. */
  @Override
  default void close() {}
}
