package io.grpo4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpo4j.torch.DType;
import io.grpo4j.torch.Tensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class SlotKvCacheTest {
  private static final Qwen2Config CFG = MicroModels.config(1);

  /** A prefilled cache of 2 right-padded rows: row 0 has 3 real positions, row 1 has 5. */
  private static KvCache prefix(Qwen2Model m) {
    long[][] ids = {{1, 2, 3, 0, 0}, {4, 5, 6, 7, 8}};
    long[][] valid = {{1, 1, 1, 0, 0}, {1, 1, 1, 1, 1}};
    Tensor v = Tensors.longs(valid).to(torch.ScalarType.Bool);
    KvCache c =
        KvCache.allocate(CFG, 2, 6, Tensors.options(DType.F32)); // room for one more position
    m.hidden(Tensors.longs(ids), AttentionMask.positions(v), AttentionMask.of(v, 5), c);
    return c;
  }

  @Test
  void slotsKeepTheirOwnLengthsMasksAndPositionsAndStayContiguous() {
    Qwen2Model m = MicroModels.random(CFG, 4);
    try (PointerScope s = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      KvCache p = prefix(m);
      SlotKvCache slots =
          SlotKvCache.allocate(CFG, 4, 16, Tensors.options(DType.F32, new Device("cpu")));
      assertThat(slots.admit(p, 0, 3, 1)).isZero();
      assertThat(slots.admit(p, 1, 5, 2)).isEqualTo(1);
      assertThat(slots.free()).isEqualTo(1); // 3 of 4 slots occupied
      // each slot's length is the position of its next token
      assertThat(Tensors.toLongs(slots.decodePositions())).containsExactly(3, 5, 5);
      Tensor mask = slots.decodeMask(); // [3,1,1,6]: row r sees columns 0..length(r)
      assertThat(Tensors.shape(mask)).containsExactly(3, 1, 1, 6);
      assertThat(Tensors.toLongs(mask.to(torch.ScalarType.Long).flatten()))
          .containsExactly(1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
      assertThat(slots.release(0)).isEqualTo(2); // the last slot moves into the hole
      assertThat(slots.free()).isEqualTo(2);
      assertThat(Tensors.toLongs(slots.decodePositions())).containsExactly(5, 5);
      assertThatThrownBy(() -> slots.release(2)).isInstanceOf(IndexOutOfBoundsException.class);
      // one decode step: each row writes its new key at its own column and attends to its own
      // history
      Tensor out =
          m.hidden(
              Tensors.longs(new long[][] {{9}, {9}}),
              slots.decodePositions(),
              slots.decodeMask(),
              slots);
      assertThat(Tensors.toLongs(slots.decodePositions())).containsExactly(6, 6);
      assertThat(slots.free()).isEqualTo(2);
      // reference: the same token after prompt row 1 through an ordinary cache
      KvCache ref = p.selectRows(Tensors.longs(1));
      Tensor valid =
          torch.ones(new long[] {1, 6}, Tensors.options(DType.I64)).to(torch.ScalarType.Bool);
      Tensor expected =
          m.hidden(
              Tensors.longs(new long[][] {{9}}),
              Tensors.longs(new long[][] {{5}}),
              AttentionMask.of(valid, 1),
              ref);
      assertThat(out.select(0, 0).sub(expected.select(0, 0)).abs().max().item_double())
          .isLessThan(1e-5);
      assertThat(out.select(0, 1).sub(expected.select(0, 0)).abs().max().item_double())
          .isLessThan(1e-5);
    }
  }
}
