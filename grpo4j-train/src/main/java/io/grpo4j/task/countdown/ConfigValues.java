package io.grpo4j.task.countdown;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Reads typed values from a flat config map, with errors that name the full config key. */
final class ConfigValues {
  private final String prefix;
  private final Map<String, ?> values;

  ConfigValues(String prefix, Map<String, ?> values, Set<String> known) {
    this.prefix = prefix;
    this.values = values;
    for (String key : values.keySet()) {
      if (!known.contains(key)) {
        throw new IllegalArgumentException(
            "unknown config key " + prefix + key + "; known keys: " + new TreeSet<>(known));
      }
    }
  }

  double number(String key, double fallback) {
    Object v = values.get(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    try {
      return Double.parseDouble(v.toString().strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(prefix + key + " must be a number, got '" + v + "'");
    }
  }

  long integer(String key, long fallback) {
    Object v = values.get(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    try {
      return Long.parseLong(v.toString().strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(prefix + key + " must be a whole number, got '" + v + "'");
    }
  }

  int smallInteger(String key, int fallback) {
    long v = integer(key, fallback);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(prefix + key + " is out of range: " + v);
    }
    return (int) v;
  }

  boolean bool(String key, boolean fallback) {
    Object v = values.get(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    String s = v.toString().strip();
    if (s.equalsIgnoreCase("true")) {
      return true;
    }
    if (s.equalsIgnoreCase("false")) {
      return false;
    }
    throw new IllegalArgumentException(prefix + key + " must be true or false, got '" + v + "'");
  }
}
