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
  void comparesNativeScalarTypesByValueAndComputesInFloat32OrFloat64() {
    Tensor f = TensorBytes.empty(DType.F32, new long[] {1});
    assertThat(DType.same(f.scalar_type(), ScalarType.Float)).isTrue();
    assertThat(DType.same(f.scalar_type(), ScalarType.Double)).isFalse();
    assertThat(
            DType.same(
                TensorBytes.empty(DType.BF16, new long[] {1}).scalar_type(), ScalarType.Half))
        .isFalse();
    Tensor d = f.to(ScalarType.Double);
    assertThat(DType.same(DType.computeFloat(d.scalar_type()), ScalarType.Double)).isTrue();
    for (DType narrow : new DType[] {DType.F32, DType.BF16, DType.F16}) {
      ScalarType t = TensorBytes.empty(narrow, new long[] {1}).scalar_type();
      assertThat(DType.same(DType.computeFloat(t), ScalarType.Float)).isTrue();
    }
  }

  @Test
  void rejectsOtherScalarTypesByName() {
    assertThatThrownBy(() -> DType.of(ScalarType.Double)).hasMessageContaining("Double");
  }
}
