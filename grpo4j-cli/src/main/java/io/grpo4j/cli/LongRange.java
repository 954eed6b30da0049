package io.grpo4j.cli;

/** An inclusive range written {@code 3..4} (or a single value {@code 3}) on the command line. */
record LongRange(long min, long max) {
  static LongRange parse(String text, String option) {
    String s = text.strip();
    int dots = s.indexOf("..");
    try {
      if (dots < 0) {
        long v = Long.parseLong(s);
        return new LongRange(v, v);
      }
      long min = Long.parseLong(s.substring(0, dots).strip());
      long max = Long.parseLong(s.substring(dots + 2).strip());
      if (min > max) {
        throw new IllegalArgumentException(option + " range " + text + " is empty (min > max)");
      }
      return new LongRange(min, max);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " must be a range like 3..4, got '" + text + "'");
    }
  }

  int minInt(String option) {
    return toInt(min, option);
  }

  int maxInt(String option) {
    return toInt(max, option);
  }

  private static int toInt(long v, String option) {
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(option + " value " + v + " is out of range");
    }
    return (int) v;
  }
}
