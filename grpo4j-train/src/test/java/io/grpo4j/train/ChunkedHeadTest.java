package io.grpo4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.grpo4j.model.MicroModels;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.rl.KlEstimator;
import io.grpo4j.rl.KlPenalty;
import io.grpo4j.rl.TokenLogProbs;
import io.grpo4j.torch.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The chunked head against the textbook computation on full [B, T, V] logits (V = 50). */
class ChunkedHeadTest {
  private static final long[][] TOKENS = {{5, 17, 3, 44, 9}, {12, 7, 30, 2, 48}, {1, 1, 1, 1, 1}};
  private static final float[] MASK = {1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0};

  /**
   * {loss value, gradient of every policy parameter} of loss = Σ masked (w1·logp + w2·KLf +
   * w3·KLr).
   */
  private static List<double[]> run(
      Qwen2Model policy, Qwen2Model ref, KlPenalty kl, Integer chunk, double temperature) {
    for (Tensor p : policy.parameters().values()) {
      if (p.grad().defined()) p.mutable_grad().zero_();
    }
    torch.manual_seed(3);
    Tensor x = torch.randn(3, 5, policy.config().hiddenSize()).to(torch.ScalarType.Double);
    Tensor hidden =
        policy
            .hidden(
                torch.zeros(new long[] {3, 5}).to(torch.ScalarType.Long).add(Tensors.longs(TOKENS)),
                io.grpo4j.model.AttentionMask.positions(
                    torch.ones(new long[] {3, 5}).to(torch.ScalarType.Bool)),
                io.grpo4j.model.AttentionMask.of(
                    torch.ones(new long[] {3, 5}).to(torch.ScalarType.Bool), 5),
                null)
            .add(x);
    Tensor refHidden;
    try (NoGradGuard ng = new NoGradGuard()) {
      refHidden =
          ref.hidden(
              Tensors.longs(TOKENS),
              io.grpo4j.model.AttentionMask.positions(
                  torch.ones(new long[] {3, 5}).to(torch.ScalarType.Bool)),
              io.grpo4j.model.AttentionMask.of(
                  torch.ones(new long[] {3, 5}).to(torch.ScalarType.Bool), 5),
              null);
    }
    Tensor ids = Tensors.longs(TOKENS);
    Tensor mask = Tensors.floats(MASK).reshape(3, 5).to(torch.ScalarType.Double);
    Tensor logp, klf, klr, refLogp;
    ChunkedHead head = null;
    if (chunk == null) {
      Tensor z = policy.logits(hidden);
      Tensor zr = ref.logits(refHidden);
      logp = TokenLogProbs.of(z.div(new Scalar(temperature)), ids); // log softmax(z/τ)
      KlPenalty.Terms t = kl.terms(z, zr, ids);
      klf = t.forward();
      klr = t.reverse();
      refLogp = TokenLogProbs.of(zr.div(new Scalar(temperature)), ids).detach();
    } else {
      // with log π_ref (A*-PO's term) asked for: it must not change the others or the gradients
      head =
          ChunkedHead.withKlAndRefLogProbs(
              policy,
              hidden,
              ids,
              mask,
              chunk,
              temperature,
              new ChunkedHead.Reference(ref, refHidden, kl));
      logp = head.terms().logProbs();
      klf = head.terms().kl().forward();
      klr = head.terms().kl().reverse();
      refLogp = head.terms().refLogProbs();
    }
    Tensor loss =
        logp.mul(new Scalar(0.7))
            .add(klf.mul(new Scalar(-1.3)))
            .add(klr.mul(new Scalar(2.1)))
            .mul(mask)
            .sum();
    loss.backward();
    if (head != null) head.backward();
    List<double[]> out = new ArrayList<>();
    out.add(new double[] {loss.item_double()});
    out.add(Tensors.toDoubles(logp.mul(mask)));
    out.add(Tensors.toDoubles(klf.mul(mask)));
    for (Tensor p : policy.parameters().values()) out.add(Tensors.toDoubles(p.grad()));
    out.add(Tensors.toDoubles(refLogp.mul(mask)));
    return out;
  }

  @ParameterizedTest
  @CsvSource({
    "1, EXACT, 1",
    "4, EXACT, 1",
    "1000, EXACT, 1",
    "3, K3, 1",
    "4, EXACT, 0.6",
    "2, K3, 1.7"
  })
  void chunkedValuesAndGradientsEqualTheFullLogitsComputation(
      int chunk, KlEstimator estimator, double temperature) {
    try (PointerScope s = new PointerScope()) {
      Qwen2Model policy = MicroModels.toDouble(MicroModels.random(MicroModels.config(2), 11));
      Qwen2Model ref = MicroModels.toDouble(MicroModels.random(MicroModels.config(2), 12));
      policy.setRequiresGrad(true);
      KlPenalty kl = new KlPenalty(0.02, 0.01, estimator);
      List<double[]> full = run(policy, ref, kl, null, temperature);
      List<double[]> chunked = run(policy, ref, kl, chunk, temperature);
      assertThat(Math.abs(full.get(0)[0])).isGreaterThan(1.0);
      double largestGrad = 0;
      for (int i = 0; i < full.size(); i++) {
        for (int j = 0; j < full.get(i).length; j++) {
          if (i > 2) largestGrad = Math.max(largestGrad, Math.abs(full.get(i)[j]));
          assertThat(chunked.get(i)[j])
              .as("item %d[%d]", i, j)
              .isCloseTo(full.get(i)[j], within(1e-10));
        }
      }
      assertThat(largestGrad).isGreaterThan(1e-2);
    }
  }

  @org.junit.jupiter.api.Test
  void temperatureChangesTheLogProbsButNotTheKl() {
    try (PointerScope s = new PointerScope()) {
      Qwen2Model policy = MicroModels.toDouble(MicroModels.random(MicroModels.config(2), 11));
      Qwen2Model ref = MicroModels.toDouble(MicroModels.random(MicroModels.config(2), 12));
      policy.setRequiresGrad(true);
      KlPenalty kl = new KlPenalty(0.02, 0.01, KlEstimator.EXACT);
      List<double[]> plain = run(policy, ref, kl, 4, 1.0);
      List<double[]> cold = run(policy, ref, kl, 4, 0.5);
      assertThat(cold.get(1)).isNotEqualTo(plain.get(1)); // log π at τ = 0.5 ≠ at τ = 1
      assertThat(cold.get(2)).containsExactly(plain.get(2), within(1e-12)); // KL_fwd of z itself
    }
  }
}
