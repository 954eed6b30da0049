package io.grpo4j.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DTypeTest {
  @ParameterizedTest
  @EnumSource(DType.class)
  void recognisesTheScalarTypeThatATensorReports(DType dtype) {
    // The ScalarType returned from native code is not the same Java object as the constant.
    Tensor t = TensorBytes.empty(dtype, new long[] {2});
    assertThat(DType.of(t.scalar_type())).isEqualTo(dtype);
    assertThat(t.element_size()).isEqualTo(dtype.size);
  }

  @Test
  void rejectsOtherScalarTypesByName() {
    assertThatThrownBy(() -> DType.of(ScalarType.Double)).hasMessageContaining("Double");
  }
}
