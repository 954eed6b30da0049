package io.grpo4j.rl;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A mode enum of this room ({@link AdvantageMode}, {@link LossAggregation}, {@link KlEstimator}),
 * spelled in config files and metrics as its constant's name in lower case.
 */
public interface ConfigName {
  /** The constant's name; every enum has it ({@link Enum#name}). */
  String name();

  /** The spelling in config files and metrics, e.g. {@code token_relative}. */
  default String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The constant spelled {@code text} (trimmed, any case, '-' read as '_'); otherwise an error that
   * names the config key and lists the spellings allowed.
   */
  static <E extends Enum<E> & ConfigName> E parse(Class<E> type, String key, String text) {
    E[] values = type.getEnumConstants();
    if (text != null) {
      String n = text.trim().toLowerCase(Locale.ROOT).replace('-', '_');
      for (E e : values) {
        if (e.configName().equals(n)) return e;
      }
    }
    throw new IllegalArgumentException(
        key
            + ": unknown value '"
            + text
            + "', expected one of "
            + Arrays.stream(values).map(ConfigName::configName).collect(Collectors.joining(", ")));
  }
}
