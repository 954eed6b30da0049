package io.grpo4j.torch;

import static org.assertj.core.api.Assertions.assertThat;

import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;

class PinnedTest {
  /**
   * A pinned pointer (the CUDA graph pool id, the c10d store and backend) outlives its PointerScope
   * and the garbage collector, while an unpinned pointer of the same scope is freed.
   */
  @Test
  void pinnedPointersSurviveTheirScopeAndTheGarbageCollector() throws InterruptedException {
    LongPointer pinned;
    LongPointer plain;
    try (PointerScope scope = new PointerScope()) {
      pinned = Pinned.forever(new LongPointer(2).put(0, 7L).put(1, 9L));
      plain = new LongPointer(2);
    }
    assertThat(plain.isNull()).as("an unpinned pointer is freed with its scope").isTrue();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
    assertThat(pinned.isNull()).isFalse();
    assertThat(pinned.get(0)).isEqualTo(7L);
    assertThat(pinned.get(1)).isEqualTo(9L);
  }
}
