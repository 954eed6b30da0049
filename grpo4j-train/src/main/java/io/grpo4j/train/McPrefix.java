package io.grpo4j.train;

import io.grpo4j.eval.ScoredSample;
import io.grpo4j.eval.Scoring;
import io.grpo4j.generate.Rollout;
import io.grpo4j.generate.Sample;
import io.grpo4j.generate.Sampler;
import io.grpo4j.generate.SamplingParams;
import io.grpo4j.task.PrefixScore;
import io.grpo4j.task.Problem;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Monte-Carlo values of answer prefixes, VinePPO-style ({@code rl.advantage.mode: mc_prefix};
 * Kazemnejad et al. 2024). A completion is cut after every token that ends a step ({@link
 * SegmentCuts}); the value of the state s_b after the first b tokens is the mean reward of K fresh
 * continuations from it under the rollout policy:
 *
 * <pre>V̂(s_b) = (1/K) Σ_{j=1..K} R(prefix_b ⊕ continuation_j)</pre>
 *
 * Two shortcuts, both exact: a prefix the verifier already calls complete (the target reached, or a
 * fatal mistake such as a dead end: no continuation can change its score) has V = its score, and
 * identical prefixes of one prompt share their continuations. A continuation may use only the
 * tokens the cut completion had left ({@code max_new_tokens − b}), so the value is that of the same
 * length limit. The continuations' tokens are generated tokens of the step (they count against
 * {@code train.max_generated_tokens}); they are not trained on.
 */
final class McPrefix {
  private McPrefix() {}

  /**
   * The cuts and values of a batch.
   *
   * @param starts per row, the cut offsets (padded to the batch's most cuts with the row's length)
   * @param values per row, V̂ at each cut (padded with the row's own reward)
   * @param generatedTokens tokens of all continuations
   * @param continuations continuations sampled
   * @param knownCuts cuts whose value the verifier gave (complete prefixes)
   * @param sampledCuts cuts valued by continuations
   */
  record Values(
      long[][] starts,
      double[][] values,
      long generatedTokens,
      int continuations,
      int knownCuts,
      int sampledCuts) {}

  /**
   * @param rowProblems the problem of each scored row
   * @param scored the rollouts, scored
   * @param k continuations per distinct uncertain prefix, K ≥ 1
   * @param params the rollout sampling parameters (temperature, length limit, stops, seed)
   */
  static <D> Values estimate(
      RunSetup<D> setup,
      Sampler sampler,
      List<Problem<D>> rowProblems,
      List<ScoredSample> scored,
      int k,
      SamplingParams params,
      Set<Integer> cutTokens) {
    int b = scored.size();
    List<List<Integer>> cuts = new ArrayList<>(b);
    List<List<Double>> known = new ArrayList<>(b); // NaN: to be sampled
    Map<String, Integer> requestOf = new LinkedHashMap<>();
    List<int[]> reqPrefix = new ArrayList<>();
    List<Integer> reqRow = new ArrayList<>(); // the first row that asked
    List<Problem<D>> reqProblem = new ArrayList<>();
    List<List<Integer>> rowRequests = new ArrayList<>(b);
    int knownCuts = 0;
    for (int row = 0; row < b; row++) {
      ScoredSample x = scored.get(row);
      Sample s = x.sample();
      Problem<D> problem = rowProblems.get(row);
      int[] ids = s.completionIds();
      List<Integer> c = new ArrayList<>();
      List<Double> v = new ArrayList<>();
      List<Integer> rq = new ArrayList<>();
      for (int at = 1; at < ids.length; at++) {
        if (!cutTokens.contains(ids[at - 1])) continue;
        int[] prefix = Arrays.copyOf(ids, at);
        PrefixScore score =
            setup.task().verifier().score(problem, setup.folder().tokenizer().decode(prefix));
        c.add(at);
        if (score.complete()) {
          v.add(score.value());
          rq.add(-1);
          knownCuts++;
        } else {
          String key = problem.id() + ":" + Arrays.toString(prefix);
          Integer q = requestOf.get(key);
          if (q == null) {
            q = reqPrefix.size();
            requestOf.put(key, q);
            reqPrefix.add(prefix);
            reqRow.add(row);
            reqProblem.add(problem);
          }
          v.add(Double.NaN);
          rq.add(q);
        }
      }
      cuts.add(c);
      known.add(v);
      rowRequests.add(rq);
    }
    double[] mean = new double[reqPrefix.size()];
    long tokens = 0;
    int sampled = 0;
    if (!reqPrefix.isEmpty()) {
      int shortest = Integer.MAX_VALUE;
      List<int[]> prompts = new ArrayList<>();
      for (int q = 0; q < reqPrefix.size(); q++) {
        int[] prompt = scored.get(reqRow.get(q)).sample().promptIds();
        int[] full = Arrays.copyOf(prompt, prompt.length + reqPrefix.get(q).length);
        System.arraycopy(reqPrefix.get(q), 0, full, prompt.length, reqPrefix.get(q).length);
        prompts.add(full);
        shortest = Math.min(shortest, reqPrefix.get(q).length);
      }
      SamplingParams cont =
          new SamplingParams(
              params.temperature(),
              params.topK(),
              params.topP(),
              false,
              params.maxNewTokens() - shortest,
              params.stopTokenIds(),
              Seeds.derive(params.seed(), Seeds.MC_PREFIX, 0));
      Rollout r = sampler.generate(prompts, k, cont);
      List<Sample> whole = new ArrayList<>(r.samples().size());
      for (Sample c : r.samples()) {
        int q = c.promptIndex();
        int[] prefix = reqPrefix.get(q);
        int room = params.maxNewTokens() - prefix.length;
        int len = Math.min(room, c.length());
        Sample.FinishReason finish =
            len < c.length() ? Sample.FinishReason.LENGTH : c.finishReason();
        int[] ids = Arrays.copyOf(prefix, prefix.length + len);
        System.arraycopy(c.completionIds(), 0, ids, prefix.length, len);
        tokens += len;
        whole.add(
            new Sample(
                q,
                scored.get(reqRow.get(q)).sample().promptIds(),
                ids,
                new float[ids.length],
                new float[ids.length],
                finish));
      }
      List<Scoring.Result> judged = setup.scoreAll(reqProblem, whole);
      double[] sum = new double[mean.length];
      int[] n = new int[mean.length];
      for (int j = 0; j < judged.size(); j++) {
        Scoring.Result res = judged.get(j);
        if (res.failed()) continue; // a failed reward request is not a reward
        int q = r.samples().get(j).promptIndex();
        sum[q] += res.scored().outcome().reward();
        n[q]++;
      }
      for (int q = 0; q < mean.length; q++) mean[q] = n[q] > 0 ? sum[q] / n[q] : Double.NaN;
      sampled = mean.length;
    }
    int width = 0;
    List<long[]> rowStarts = new ArrayList<>(b);
    List<double[]> rowValues = new ArrayList<>(b);
    for (int i = 0; i < b; i++) {
      List<Long> st = new ArrayList<>();
      List<Double> vals = new ArrayList<>();
      for (int j = 0; j < cuts.get(i).size(); j++) {
        int q = rowRequests.get(i).get(j);
        double v = q < 0 ? known.get(i).get(j) : mean[q];
        if (Double.isNaN(v)) continue; // every continuation's reward request failed: no cut here
        st.add((long) cuts.get(i).get(j));
        vals.add(v);
      }
      rowStarts.add(st.stream().mapToLong(Long::longValue).toArray());
      rowValues.add(vals.stream().mapToDouble(Double::doubleValue).toArray());
      width = Math.max(width, st.size());
    }
    long[][] starts = new long[b][width];
    double[][] values = new double[b][width];
    for (int i = 0; i < b; i++) {
      ScoredSample x = scored.get(i);
      long[] st = rowStarts.get(i);
      double[] vals = rowValues.get(i);
      for (int j = 0; j < width; j++) {
        starts[i][j] = j < st.length ? st[j] : x.sample().length();
        values[i][j] = j < st.length ? vals[j] : x.outcome().reward();
      }
    }
    return new Values(starts, values, tokens, reqPrefix.size() * k, knownCuts, sampled);
  }
}
