package io.grpo4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.grpo4j.config.TrainOptions;
import io.grpo4j.eval.Episodes;
import io.grpo4j.eval.ScoredSample;
import io.grpo4j.generate.EpisodeSampler;
import io.grpo4j.generate.Sample;
import io.grpo4j.generate.SamplingParams;
import io.grpo4j.model.MicroModels;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.rl.AdvantageMode;
import io.grpo4j.rl.Advantages;
import io.grpo4j.rl.KlEstimator;
import io.grpo4j.rl.KlPenalty;
import io.grpo4j.rl.LossAggregation;
import io.grpo4j.rl.PolicyLoss;
import io.grpo4j.task.Outcome;
import io.grpo4j.torch.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Episodes in the GRPO update: the environment's tokens stay in the context but carry no loss, no
 * advantage and no KL — checked on the loss's own tensors — and the trainer's log-probs of the
 * model's tokens are those the rollout recorded.
 */
class EpisodeLossTest {
  static final Qwen2Model POLICY = MicroModels.random(MicroModels.config(2), 41);
  static final Qwen2Model REFERENCE = MicroModels.random(MicroModels.config(2), 42);
  static final int G = 2;

  /**
   * Two-turn episodes of POLICY (2 prompts × G): turn 1, an observation of 2 or 3 ids, turn 2;
   * rewards differ within each group, and turn scores put credit on both turns.
   */
  static List<ScoredSample> episodes() {
    EpisodeSampler.Turns turns =
        new EpisodeSampler.Turns() {
          @Override
          public boolean endsTurn(int row, int[] turn) {
            return false;
          }

          @Override
          public CompletableFuture<EpisodeSampler.Reply> turnEnded(
              int row, int turn, int[] ids, int room, boolean last) {
            return CompletableFuture.completedFuture(
                turn == 1
                    ? EpisodeSampler.Reply.observe(
                        row % 2 == 0 ? new int[] {30, 31} : new int[] {32, 33, 34})
                    : EpisodeSampler.Reply.end());
          }
        };
    EpisodeSampler.Result r =
        new EpisodeSampler(POLICY, 50)
            .generate(
                List.of(new int[] {1, 2, 3}, new int[] {4, 5}),
                G,
                SamplingParams.sample(4, Set.of(), 9),
                new EpisodeSampler.Limits(2, 40),
                turns);
    List<ScoredSample> out = new ArrayList<>();
    for (int i = 0; i < r.samples().size(); i++) {
      Sample s = r.samples().get(i);
      double reward = 0.25 * i;
      double[] tr = Episodes.tokenRewards(s, reward, new double[] {0.1 * i, 0.2 * i});
      out.add(new ScoredSample(s, "", tr, new Outcome(reward, reward > 0, "")));
    }
    return out;
  }

  /** The same episodes with garbage in every per-token input at the observation positions. */
  static List<ScoredSample> withGarbageOnObservations(List<ScoredSample> in) {
    List<ScoredSample> out = new ArrayList<>();
    for (ScoredSample x : in) {
      Sample s = x.sample();
      float[] lp = s.logprobs().clone();
      float[] en = s.entropies().clone();
      double[] tr = x.tokenRewards().clone();
      for (int i = 0; i < s.length(); i++) {
        if (!s.isModelToken(i)) {
          lp[i] = 7f;
          en[i] = 9f;
          tr[i] = -5;
        }
      }
      out.add(
          new ScoredSample(
              new Sample(
                  s.promptIndex(),
                  s.promptIds(),
                  s.completionIds(),
                  lp,
                  en,
                  s.finishReason(),
                  s.fromModel()),
              x.text(),
              tr,
              x.outcome()));
    }
    return out;
  }

  /** The loss of one micro-batch as GrpoTrainer builds it, with its per-token leaves. */
  record Loss(
      Tensor loss, Tensor advantages, Tensor logProbs, KlPenalty.Terms kl, TrainingPass pass) {}

  static Loss loss(List<ScoredSample> scored, AdvantageMode mode) {
    RolloutBatch b = RolloutBatch.of(scored, new Device("cpu"));
    Advantages a = new Advantages(mode, 1.0, true, 1e-4, 0.5, 0.5, 0, 0, 0);
    Tensor adv = b.modelTokens().advantages(a, b.prefixReward(), b, G, null, null).advantages();
    KlPenalty kl = new KlPenalty(0.02, 0.01, KlEstimator.EXACT);
    TrainingPass pass =
        b.trainingPass(POLICY, new TrainOptions(false, 8, false), REFERENCE, kl, 1.0);
    PolicyLoss pl = new PolicyLoss(0.2, 0.2, LossAggregation.TOKEN);
    Tensor loss =
        pl.compute(pass.logProbs(), b.oldLogProbs(), adv, b.mask(), 4)
            .loss()
            .add(LossAggregation.TOKEN.reduce(kl.perToken(pass.kl()), b.mask(), 4));
    return new Loss(loss, adv, pass.logProbs(), pass.kl(), pass);
  }

  static boolean[] observations(RolloutBatch b) {
    float[] m = Tensors.toFloats(b.mask().contiguous());
    long[] v =
        Tensors.toLongs(
            b.valid()
                .narrow(1, b.promptWidth(), b.width())
                .to(org.bytedeco.pytorch.global.torch.ScalarType.Long)
                .contiguous());
    boolean[] obs = new boolean[m.length];
    for (int i = 0; i < m.length; i++) obs[i] = v[i] != 0 && m[i] == 0f;
    return obs;
  }

  @Test
  void observationTokensCarryNoLossAdvantageOrKl() {
    try (PointerScope scope = new PointerScope()) {
      POLICY.setRequiresGrad(true);
      List<ScoredSample> scored = episodes();
      RolloutBatch b = RolloutBatch.of(scored, new Device("cpu"));
      boolean[] obs = observations(b);
      int observationTokens = 0;
      for (boolean o : obs) if (o) observationTokens++;
      assertThat(observationTokens).isEqualTo(2 + 3 + 2 + 3);

      for (AdvantageMode mode : AdvantageMode.values()) {
        // tree and mc_prefix cut single completions; an env: config refuses them
        // (ConfigLoaderTest)
        if (mode == AdvantageMode.TREE || mode == AdvantageMode.MC_PREFIX) continue;
        float[] adv = Tensors.toFloats(loss(scored, mode).advantages().contiguous());
        boolean anyModel = false;
        for (int i = 0; i < adv.length; i++) {
          if (obs[i]) assertThat(adv[i]).as("%s advantage at %d", mode, i).isZero();
          else anyModel |= adv[i] != 0;
        }
        assertThat(anyModel).as("%s gives the model's tokens credit", mode).isTrue();
      }

      Loss l = loss(scored, AdvantageMode.SEQUENCE);
      // ∂L/∂term at every position of the [B, T] terms the loss is built from
      l.logProbs().retain_grad();
      l.kl().forward().retain_grad();
      l.kl().reverse().retain_grad();
      l.loss().backward();
      float[] dLogp = Tensors.toFloats(l.logProbs().grad().contiguous());
      float[] dKlF = Tensors.toFloats(l.kl().forward().grad().contiguous());
      float[] dKlR = Tensors.toFloats(l.kl().reverse().grad().contiguous());
      float[] logp = Tensors.toFloats(l.logProbs().detach().contiguous());
      float[] klF = Tensors.toFloats(l.kl().forward().detach().contiguous());
      boolean someGradient = false;
      for (int i = 0; i < obs.length; i++) {
        if (obs[i]) {
          assertThat(dLogp[i]).as("dL/dlogπ at observation %d", i).isZero();
          assertThat(dKlF[i]).as("dL/dKL_fwd at observation %d", i).isZero();
          assertThat(dKlR[i]).as("dL/dKL_rev at observation %d", i).isZero();
          assertThat(logp[i]).isZero(); // never computed
          assertThat(klF[i]).isZero();
        } else {
          someGradient |= dLogp[i] != 0 && dKlF[i] != 0;
        }
      }
      assertThat(someGradient).isTrue();
    }
  }

  @Test
  void whatStandsAtObservationPositionsDoesNotChangeTheLossOrTheGradients() {
    try (PointerScope scope = new PointerScope()) {
      POLICY.setRequiresGrad(true);
      List<ScoredSample> scored = episodes();
      double[] loss = new double[2];
      List<float[]> grads = new ArrayList<>();
      int k = 0;
      for (List<ScoredSample> batch : List.of(scored, withGarbageOnObservations(scored))) {
        for (Tensor p : POLICY.parameters().values()) if (p.grad().defined()) p.grad().zero_();
        Loss l = loss(batch, AdvantageMode.HYBRID);
        l.pass().backward(l.loss());
        loss[k++] = l.loss().item_double();
        List<Float> all = new ArrayList<>();
        for (Tensor p : POLICY.parameters().values()) {
          for (float f : Tensors.toFloats(p.grad().contiguous())) all.add(f);
        }
        float[] g = new float[all.size()];
        for (int i = 0; i < g.length; i++) g[i] = all.get(i);
        grads.add(g);
      }
      assertThat(loss[1]).isEqualTo(loss[0]);
      assertThat(grads.get(1)).containsExactly(grads.get(0));
      double norm = 0;
      for (float f : grads.get(0)) norm += f * f;
      assertThat(norm).isGreaterThan(0);
    }
  }

  @Test
  void theTrainersLogProbsOfTheModelsTokensAreTheRolloutsOwn() {
    try (PointerScope scope = new PointerScope()) {
      List<ScoredSample> scored = episodes();
      RolloutBatch b = RolloutBatch.of(scored, new Device("cpu"));
      for (boolean share : new boolean[] {false, true}) {
        TrainingPass pass =
            b.trainingPass(POLICY, new TrainOptions(false, 5, share), null, null, 1.0);
        float[] lp = Tensors.toFloats(pass.logProbs().detach().contiguous());
        float[] old = Tensors.toFloats(b.oldLogProbs().contiguous());
        float[] m = Tensors.toFloats(b.mask().contiguous());
        int checked = 0;
        for (int i = 0; i < lp.length; i++) {
          if (m[i] > 0) {
            assertThat(lp[i]).as("share %s token %d", share, i).isCloseTo(old[i], within(1e-4f));
            checked++;
          }
        }
        assertThat(checked).isGreaterThan(8 * 2);
      }
      // two turns in every episode
      for (ScoredSample s : scored) assertThat(s.sample().turns()).isEqualTo(2);
    }
  }
}
