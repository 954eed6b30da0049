package io.grpo4j.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
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
}
