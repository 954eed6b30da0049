package io.grpo4j.task.reward;

import java.util.List;

/**
 * A built-in reward judged in-process, one completion at a time. It never fails: any text gets a
 * verdict (model output is arbitrary).
 */
public interface AnswerMatcher extends RewardSource {

  /** The verdict on one completion. */
  Judgement judgeOne(RewardRequest request);

  @Override
  default List<Judgement> judge(List<RewardRequest> batch) {
    return batch.stream().map(this::judgeOne).toList();
  }
}
