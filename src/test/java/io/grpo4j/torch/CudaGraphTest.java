package io.grpo4j.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.junit.jupiter.api.Test;

/** CUDA graphs cannot run here (no GPU); on a CPU they must refuse clearly, before any work. */
class CudaGraphTest {
  @Test
  void refusesOnTheCpuNamingTheDeviceAndRunsNothing() {
    AtomicInteger ran = new AtomicInteger();
    Device cpu = new Device("cpu");
    assertThat(CudaGraph.unsupportedReason(cpu)).contains("CUDA device").contains("cpu");
    assertThatThrownBy(() -> CudaGraph.capture(cpu, ran::incrementAndGet))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("CUDA graphs need a CUDA device");
    assertThat(ran).hasValue(0);
  }

  /**
   * The graph's pool id (a c10::MempoolId_t under a Java type whose deallocator crashed the JVM on
   * an H200) must outlive the decode step's PointerScope and the garbage collector: pinned, it is
   * never freed, while an unpinned pointer of the same scope is.
   */
  @Test
  void pinnedPointersSurviveTheirScopeAndTheGarbageCollector() throws InterruptedException {
    LongPointer pinned;
    LongPointer plain;
    try (PointerScope scope = new PointerScope()) {
      pinned = CudaGraph.pinForever(new LongPointer(2).put(0, 7L).put(1, 9L));
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
