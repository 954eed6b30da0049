package io.grpo4j.task;

import java.util.Objects;

/**
 * One problem of a task: a stable id (the same content always gets the same id, so runs, samples
 * and evaluation reports can be joined on it) plus the task's own data.
 *
 * @param <D> the task's problem data, e.g. a Countdown instance
 */
public record Problem<D>(String id, D data) {
  public Problem {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(data, "data");
    if (id.isBlank()) {
      throw new IllegalArgumentException("problem id must not be blank");
    }
  }
}
