package io.grpo4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * {@link DataParallel#reduce}: a record of doubles goes through one collective field by field, in
 * declaration order, and comes back as the same record type.
 */
class RecordReduceTest {
  private record Sums(double a, double b, double c) {}

  private record Mixed(double a, int n) {}

  @Test
  void eachFieldIsReducedInItsPlace() {
    double[][] seen = new double[1][];
    Sums out =
        DataParallel.reduce(
            new Sums(1, 2, 3),
            v -> {
              seen[0] = v.clone();
              return new double[] {10 * v[0], 100 * v[1], 1000 * v[2]};
            });
    assertThat(seen[0]).containsExactly(1, 2, 3);
    assertThat(out).isEqualTo(new Sums(10, 200, 3000));
  }

  @Test
  void theIdentityGivesAnEqualRecord() {
    Sums s = new Sums(-0.5, Double.NaN, 1e300);
    assertThat(DataParallel.reduce(s, v -> Arrays.copyOf(v, v.length))).isEqualTo(s);
  }

  @Test
  void aFieldThatIsNotADoubleIsRefusedByName() {
    assertThatThrownBy(() -> DataParallel.reduce(new Mixed(1, 2), v -> v))
        .hasMessageContaining("Mixed.n is not a double");
  }
}
