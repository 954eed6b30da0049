package io.grpo4j.task.reward;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Reward 1 when the final answer equals the reference as normalised strings, else 0. The final
 * answer is the content of the last {@code <answer>…</answer>} block, or the whole completion when
 * there is none. Normalisation: Unicode NFKC, lower case, whitespace runs collapsed, trimmed, one
 * trailing period dropped. A JSON array as the reference lists accepted alternatives; a non-string
 * reference is compared as its JSON text ({@code 42}, {@code true}).
 */
public final class ExactMatch implements AnswerMatcher {
  @Override
  public Judgement judgeOne(RewardRequest request) {
    String tag = AnswerText.answerTag(request.completion());
    String given = AnswerText.normalise(tag != null ? tag : request.completion());
    for (JsonNode alt : AnswerText.alternatives(request.answer())) {
      if (given.equals(AnswerText.normalise(RewardRequest.answerText(alt)))) {
        return Judgement.of(1.0, true, "exact: '" + given + "' matches");
      }
    }
    return Judgement.of(0.0, false, "exact: '" + abbreviate(given) + "' is not the answer");
  }

  static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 60) + "…";
  }
}
