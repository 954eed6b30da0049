package io.grpo4j.torch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CpuFeaturesTest {
  private static String cpuinfo(String model, String flags) {
    return "processor\t: 0\nvendor_id\t: x\nmodel name\t: "
        + model
        + "\nflags\t\t: "
        + flags
        + "\n\nprocessor\t: 1\nmodel name\t: other\nflags\t\t: amx_bf16 amx_tile\n";
  }

  @Test
  void readsTheFirstProcessorsModelAndBf16Flags() {
    CpuFeatures zen5 =
        CpuFeatures.parse(cpuinfo("AMD EPYC", "fpu sse avx2 avx512f avx512_bf16 avx512_vnni"));
    assertThat(zen5.model()).isEqualTo("AMD EPYC");
    assertThat(zen5.flags()).containsExactlyInAnyOrder("avx2", "avx512f", "avx512_bf16");
    assertThat(zen5.avx512Bf16()).isTrue();
    assertThat(zen5.amx()).isFalse();
    assertThat(zen5.bf16Units()).isTrue();
    assertThat(zen5.describe()).isEqualTo("AMD EPYC (avx512_bf16; no AMX): bf16 units yes");

    CpuFeatures spr =
        CpuFeatures.parse(cpuinfo("Intel Xeon", "avx512f amx_bf16 amx_tile amx_int8"));
    assertThat(spr.amx()).isTrue();
    assertThat(spr.bf16Units()).isTrue();

    CpuFeatures avx2 = CpuFeatures.parse(cpuinfo("AMD EPYC 7B12", "fpu sse avx2 fma"));
    assertThat(avx2.bf16Units()).isFalse();
    assertThat(avx2.describe()).endsWith("bf16 units no");
    // amx_bf16 without tiles is not usable AMX
    assertThat(CpuFeatures.parse(cpuinfo("x", "amx_bf16")).bf16Units()).isFalse();
  }

  @Test
  void noCpuinfoMeansNoFlagsAndF32() {
    CpuFeatures none = CpuFeatures.read(Path.of("/nonexistent/cpuinfo"));
    assertThat(none.model()).isEqualTo("unknown");
    assertThat(none.bf16Units()).isFalse();
  }

  @Test
  void autoFollowsThisMachinesFlagsAndExplicitDtypesWin() {
    DType auto = DType.resolve("auto", "cpu");
    assertThat(auto).isEqualTo(CpuFeatures.detect().bf16Units() ? DType.BF16 : DType.F32);
    assertThat(DType.resolve("f32", "cpu")).isEqualTo(DType.F32);
    assertThat(DType.resolve("bf16", "cpu")).isEqualTo(DType.BF16);
    assertThat(DType.resolve("AUTO", "cpu")).isEqualTo(auto);
  }
}
