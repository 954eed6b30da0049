package io.grpo4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpo4j.torch.Tensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * The static KV cache (fixed shapes, device-side position) decodes exactly as the growing {@link
 * KvCache}: same greedy tokens, step for step, and logits equal to float32 rounding.
 */
class StaticKvCacheTest {
  @Test
  void greedyDecodeEqualsTheDynamicCacheTokenForToken() {
    try (PointerScope s = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      Qwen2Model m = MicroModels.random(MicroModels.config(2), 31);
      int rows = 3;
      int promptLen = 5;
      int steps = 12;
      int capacity = promptLen + steps + 3; // spare columns the static cache must ignore
      // left-padded prompts of lengths 5, 3, 1
      long[][] ids = {{7, 3, 9, 1, 4}, {0, 0, 11, 2, 8}, {0, 0, 0, 0, 5}};
      long[][] validRows = {{1, 1, 1, 1, 1}, {0, 0, 1, 1, 1}, {0, 0, 0, 0, 1}};
      Tensor promptValid = Tensors.longs(validRows).to(torch.ScalarType.Bool);
      KvCache dyn =
          KvCache.allocate(m.config(), rows, capacity, Tensors.options(m.dtype(), m.device()));
      Tensor h =
          m.hidden(
              Tensors.longs(ids),
              AttentionMask.positions(promptValid),
              AttentionMask.of(promptValid, promptLen),
              dyn);
      Tensor last = m.logits(h.narrow(1, promptLen - 1, 1)).squeeze(1);
      StaticKvCache stat = StaticKvCache.from(dyn);
      // key validity [rows, capacity]: the prompt's, then columns as they are written
      Tensor validDyn = torch.zeros(new long[] {rows, capacity}).to(torch.ScalarType.Bool);
      validDyn.narrow(1, 0, promptLen).copy_(promptValid);
      Tensor validStat = validDyn.clone();
      Tensor pos =
          AttentionMask.positions(promptValid).narrow(1, promptLen - 1, 1).add(new Scalar(1));
      Tensor tokDyn = last.argmax(new org.bytedeco.pytorch.LongOptional(-1), true);
      Tensor tokStat = tokDyn.clone();
      for (int step = 0; step < steps; step++) {
        int at = promptLen + step;
        validDyn.narrow(1, at, 1).fill_(new Scalar(1));
        Tensor lDyn =
            m.logits(m.hidden(tokDyn, pos, AttentionMask.of(validDyn.narrow(1, 0, at + 1), 1), dyn))
                .squeeze(1);
        stat.markWritten(validStat);
        Tensor lStat =
            m.logits(m.hidden(tokStat, pos, StaticKvCache.mask(validStat), stat)).squeeze(1);
        double diff = lDyn.sub(lStat).abs().max().item_double();
        double scale = lDyn.abs().max().item_double();
        assertThat(diff).as("step %d", step).isLessThanOrEqualTo(1e-5 * scale);
        tokDyn = lDyn.argmax(new org.bytedeco.pytorch.LongOptional(-1), true);
        tokStat = lStat.argmax(new org.bytedeco.pytorch.LongOptional(-1), true);
        assertThat(Tensors.toLongs(tokStat))
            .as("step %d", step)
            .containsExactly(Tensors.toLongs(tokDyn));
        pos = pos.add(new Scalar(1));
      }
      assertThat(stat.column().item_long()).isEqualTo(promptLen + steps);
      assertThat(dyn.length()).isEqualTo(promptLen + steps);
      assertThat(Tensors.toLongs(validStat.to(torch.ScalarType.Long)))
          .containsExactly(Tensors.toLongs(validDyn.to(torch.ScalarType.Long)));
    }
  }
}
