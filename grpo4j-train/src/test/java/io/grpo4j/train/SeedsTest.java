package io.grpo4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SeedsTest {
  /** Two purposes with one value would draw the same random stream for two different things. */
  @Test
  void everyPurposeHasItsOwnValue() throws IllegalAccessException {
    List<Long> purposes = new ArrayList<>();
    for (Field f : Seeds.class.getDeclaredFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == long.class) {
        purposes.add(f.getLong(null));
      }
    }
    assertThat(purposes).hasSizeGreaterThanOrEqualTo(10).doesNotHaveDuplicates();
  }
}
