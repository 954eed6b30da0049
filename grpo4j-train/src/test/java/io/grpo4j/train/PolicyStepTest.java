package io.grpo4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpo4j.model.MicroModels;
import io.grpo4j.model.Qwen2Model;
import io.grpo4j.rl.LossAggregation;
import io.grpo4j.rl.PolicyLoss;
import io.grpo4j.rl.TokenLogProbs;
import io.grpo4j.torch.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class PolicyStepTest {
  /** log π of the token after each row's prefix. */
  private static double[] logProbs(Qwen2Model m, long[][] ids, long[] next) {
    try (NoGradGuard g = new NoGradGuard()) {
      Tensor logits =
          MicroModels.logits(
              m,
              Tensors.longs(ids),
              torch.ones(new long[] {ids.length, ids[0].length}).to(torch.ScalarType.Bool));
      Tensor last = logits.narrow(1, ids[0].length - 1, 1);
      return Tensors.toDoubles(TokenLogProbs.of(last, Tensors.longs(next).reshape(next.length, 1)));
    }
  }

  @Test
  void oneStepRaisesAPositiveAdvantageTokenAndLowersANegativeOne() {
    try (PointerScope s = new PointerScope()) {
      Qwen2Model m = MicroModels.random(MicroModels.config(2), 17);
      long[][] ids = {{3, 9, 27}, {4, 16, 36}};
      long[] next = {11, 12};
      double[] before = logProbs(m, ids, next);
      m.setRequiresGrad(true);
      List<Tensor> params = new ArrayList<>(m.parameters().values());
      AdamW opt = Optimizers.adamW(params, 1e-3, 0.9, 0.99, 0.0);
      Tensor logits =
          MicroModels.logits(
                  m, Tensors.longs(ids), torch.ones(new long[] {2, 3}).to(torch.ScalarType.Bool))
              .narrow(1, 2, 1);
      Tensor logp = TokenLogProbs.of(logits, Tensors.longs(next).reshape(2, 1));
      Tensor adv = Tensors.floats(1f, -1f).reshape(2, 1);
      Tensor mask = Tensors.floats(1f, 1f).reshape(2, 1);
      PolicyLoss.Result r =
          new PolicyLoss(0.2, 0.2, LossAggregation.TOKEN)
              .compute(logp, logp.detach(), adv, mask, 1);
      r.loss().backward();
      opt.step();
      double[] after = logProbs(m, ids, next);
      assertThat(after[0]).isGreaterThan(before[0]);
      assertThat(after[1]).isLessThan(before[1]);
    }
  }
}
