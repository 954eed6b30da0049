package io.grpo4j.task;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Parsing a mode written in a config file or a flag: an enum constant by name, any case. */
public final class Modes {
  private Modes() {}

  /**
   * The constant of {@code type} named {@code text} (any case, surrounding blanks ignored).
   *
   * @param what the setting, for the message: "prompt style must be 'plain' or 'chat', got 'x'"
   * @throws IllegalArgumentException naming the setting and every allowed value
   */
  public static <E extends Enum<E>> E parse(Class<E> type, String what, String text) {
    String name = text == null ? "" : text.strip();
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(name)) return e;
    }
    throw new IllegalArgumentException(what + " must be " + choices(type) + ", got '" + text + "'");
  }

  /** 'a', 'b' or 'c': the lower-case names of {@code type}'s constants. */
  static String choices(Class<? extends Enum<?>> type) {
    String[] names =
        Arrays.stream(type.getEnumConstants())
            .map(e -> "'" + e.name().toLowerCase(Locale.ROOT) + "'")
            .toArray(String[]::new);
    if (names.length == 1) return names[0];
    return Arrays.stream(names, 0, names.length - 1).collect(Collectors.joining(", "))
        + " or "
        + names[names.length - 1];
  }
}
