package io.grpo4j.eval;

import java.util.List;

/**
 * How far two models' answers to the same prompts agree, e.g. a model and its int8 copy: identical
 * completions, and tokens matching position by position up to the first divergence.
 *
 * @param identical fraction of prompts whose completions are token-for-token identical
 * @param tokenAgreement tokens before the first divergence over the tokens of the longer
 *     completion, summed over prompts
 */
public record GreedyAgreement(double identical, double tokenAgreement) {

  public static GreedyAgreement of(EvalReport a, EvalReport b) {
    List<ScoredSample> x = a.samples();
    List<ScoredSample> y = b.samples();
    if (x.size() != y.size())
      throw new IllegalArgumentException("reports differ in size: " + x.size() + " vs " + y.size());
    int same = 0;
    long agree = 0;
    long total = 0;
    for (int i = 0; i < x.size(); i++) {
      int[] p = x.get(i).sample().completionIds();
      int[] q = y.get(i).sample().completionIds();
      int k = 0;
      while (k < p.length && k < q.length && p[k] == q[k]) k++;
      if (k == p.length && k == q.length) same++;
      agree += k;
      total += Math.max(p.length, q.length);
    }
    return new GreedyAgreement((double) same / x.size(), total == 0 ? 1.0 : (double) agree / total);
  }
}
