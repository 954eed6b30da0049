package io.grpo4j.task;

import java.util.List;

/**
 * A task whose training problems are a fixed set visited epoch by epoch (a dataset file), rather
 * than drawn afresh each step. The trainer asks for the problems of step {@code index} (0, 1, ...)
 * instead of calling {@link Task#draw}, so a resumed run continues exactly where it stopped.
 *
 * @param <D> the task's problem data
 */
public interface EpochData<D> {

  /**
   * The {@code n} problems of batch {@code index}: positions {@code index·n … index·n+n−1} of the
   * epoch order seeded by {@code seed}.
   */
  List<Problem<D>> trainBatch(long seed, long index, int n);
}
