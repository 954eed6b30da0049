package io.grpo4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpo4j.model.ModelKind;
import io.grpo4j.model.TinyPreset;
import io.grpo4j.torch.DType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Masked-diffusion folders on the command line: the autoregressive sampler refuses one with a clear
 * message (no [MASK] ever reaches the causal path), export keeps its kind.
 */
class DiffusionCommandsTest {
  @Test
  void generateRefusesADiffusionCheckpointAndExportKeepsItsKind(@TempDir Path dir)
      throws Exception {
    Path mdm = dir.resolve("mdm");
    TinyPreset.writeDiffusion(mdm, 3, DType.F32);
    CountdownCommandsTest.Run g =
        CountdownCommandsTest.run("generate", "--model", mdm.toString(), "--prompt", "Reach 10");
    assertThat(g.rc()).isEqualTo(2);
    assertThat(g.err())
        .contains("grpo4j generate:")
        .contains("is a masked-diffusion checkpoint")
        .doesNotContain("internal error");
    Path out = dir.resolve("bf16");
    CountdownCommandsTest.Run e =
        CountdownCommandsTest.run("export", "--model", mdm.toString(), "--out", out.toString());
    assertThat(e.rc()).as(e.err()).isZero();
    assertThat(ModelKind.of(out)).isEqualTo(ModelKind.MASKED_DIFFUSION);
  }
}
