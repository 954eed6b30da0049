package io.grpo4j.model;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps} output, character for character, for the values a chat template sees
 * (maps, lists, strings, numbers, booleans, null). Chat templates print tool schemas and tool-call
 * arguments with {@code tojson}, which Hugging Face defines as {@code json.dumps(x,
 * ensure_ascii=False, indent=None, separators=None, sort_keys=False)}; the model was trained on
 * that exact text, so separators ({@code ", "} and {@code ": "}), escapes and float spelling
 * ({@code 1.0}, {@code 1e-05}, {@code 1e+16}) must match.
 */
final class PythonJson {

  /** The {@code json.dumps} keyword arguments HF's tojson exposes. */
  record Options(
      boolean ensureAscii,
      String indent,
      String itemSeparator,
      String keySeparator,
      boolean sortKeys) {

    /**
     * Options as json.dumps derives them: {@code indent} an int (spaces) or string or null; {@code
     * separators} null means {@code (", ", ": ")} without indent and {@code (",", ": ")} with one.
     */
    static Options of(boolean ensureAscii, Object indent, List<?> separators, boolean sortKeys) {
      String indentText =
          switch (indent) {
            case null -> null;
            case String s -> s;
            case Number n -> " ".repeat(Math.max(0, n.intValue()));
            default ->
                throw new IllegalArgumentException(
                    "tojson: indent must be an integer or a string, got " + indent);
          };
      String item = indentText == null ? ", " : ",";
      String key = ": ";
      if (separators != null) {
        if (separators.size() != 2) {
          throw new IllegalArgumentException(
              "tojson: separators must be (item_separator, key_separator), got " + separators);
        }
        item = String.valueOf(separators.get(0));
        key = String.valueOf(separators.get(1));
      }
      return new Options(ensureAscii, indentText, item, key, sortKeys);
    }
  }

  private PythonJson() {}

  static String dumps(Object value, Options options) {
    StringBuilder out = new StringBuilder();
    write(value, options, 0, out);
    return out.toString();
  }

  private static void write(Object value, Options o, int depth, StringBuilder out) {
    switch (value) {
      case null -> out.append("null");
      case CharSequence s -> string(s.toString(), o.ensureAscii, out);
      case Character c -> string(c.toString(), o.ensureAscii, out);
      case Boolean b -> out.append(b ? "true" : "false");
      case Double d -> out.append(floatRepr(d));
      case Float f -> out.append(floatRepr(Double.parseDouble(Float.toString(f))));
      case BigDecimal d -> out.append(floatRepr(d.doubleValue()));
      case Byte n -> out.append(n);
      case Short n -> out.append(n);
      case Integer n -> out.append(n);
      case Long n -> out.append(n);
      case BigInteger n -> out.append(n);
      case Map<?, ?> m -> object(m, o, depth, out);
      case Iterable<?> it -> {
        List<Object> items = new ArrayList<>();
        it.forEach(items::add);
        array(items, o, depth, out);
      }
      case Object[] a -> array(Arrays.asList(a), o, depth, out);
      default ->
          throw new IllegalArgumentException(
              "tojson: Object of type "
                  + value.getClass().getSimpleName()
                  + " is not JSON serializable");
    }
  }

  private static void array(List<?> items, Options o, int depth, StringBuilder out) {
    if (items.isEmpty()) {
      out.append("[]");
      return;
    }
    out.append('[');
    for (int i = 0; i < items.size(); i++) {
      separate(i, o, depth + 1, out);
      write(items.get(i), o, depth + 1, out);
    }
    newline(o, depth, out);
    out.append(']');
  }

  private static void object(Map<?, ?> map, Options o, int depth, StringBuilder out) {
    if (map.isEmpty()) {
      out.append("{}");
      return;
    }
    List<Map.Entry<String, Object>> entries = new ArrayList<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      entries.add(Map.entry(key(e.getKey()), e.getValue() == null ? NULL : e.getValue()));
    }
    if (o.sortKeys) {
      entries.sort(Comparator.comparing(Map.Entry::getKey));
    }
    out.append('{');
    for (int i = 0; i < entries.size(); i++) {
      separate(i, o, depth + 1, out);
      string(entries.get(i).getKey(), o.ensureAscii, out);
      out.append(o.keySeparator);
      Object v = entries.get(i).getValue();
      write(v == NULL ? null : v, o, depth + 1, out);
    }
    newline(o, depth, out);
    out.append('}');
  }

  /** Map.entry refuses null values; this stands in for JSON null inside the entry list. */
  private static final Object NULL = new Object();

  /** json.dumps converts str, int, float, bool and None keys to strings; others are an error. */
  private static String key(Object key) {
    return switch (key) {
      case null -> "null";
      case CharSequence s -> s.toString();
      case Boolean b -> b ? "true" : "false";
      case Double d -> floatRepr(d);
      case Float f -> floatRepr(Double.parseDouble(Float.toString(f)));
      case Number n -> n.toString();
      default ->
          throw new IllegalArgumentException(
              "tojson: keys must be str, int, float, bool or None, not "
                  + key.getClass().getSimpleName());
    };
  }

  private static void separate(int index, Options o, int depth, StringBuilder out) {
    if (index > 0) {
      out.append(o.itemSeparator);
    }
    newline(o, depth, out);
  }

  private static void newline(Options o, int depth, StringBuilder out) {
    if (o.indent != null) {
      out.append('\n').append(o.indent.repeat(depth));
    }
  }

  private static void string(String s, boolean ensureAscii, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || (ensureAscii && c > 0x7E)) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /**
   * Python's {@code repr(float)}: the shortest digits that read back to the same double, in
   * positional notation when the decimal exponent is in [-4, 16), else {@code d.ddde±XX}.
   */
  static String floatRepr(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    String sign = (d < 0 || (d == 0 && 1 / d < 0)) ? "-" : "";
    BigDecimal exact = shortestDecimal(Math.abs(d));
    String digits = exact.unscaledValue().toString();
    int exponent = digits.length() - 1 - exact.scale();
    if (exact.signum() == 0) {
      return sign + "0.0";
    }
    String body;
    if (exponent >= -4 && exponent < 16) {
      if (exponent < 0) {
        body = "0." + "0".repeat(-exponent - 1) + digits;
      } else if (digits.length() <= exponent + 1) {
        body = digits + "0".repeat(exponent + 1 - digits.length()) + ".0";
      } else {
        body = digits.substring(0, exponent + 1) + "." + digits.substring(exponent + 1);
      }
    } else {
      String mantissa =
          digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      body =
          mantissa
              + "e"
              + (exponent < 0 ? "-" : "+")
              + (Math.abs(exponent) < 10 ? "0" : "")
              + Math.abs(exponent);
    }
    return sign + body;
  }

  /**
   * The shortest decimal that reads back as {@code d} (the closest one among equals). Since JDK 19
   * Double.toString gives that, except that it never prints fewer than two digits: where one digit
   * suffices (only for subnormals such as 5e-324 does the two-digit answer differ), Python prints
   * the one digit.
   */
  private static BigDecimal shortestDecimal(double d) {
    BigDecimal fromJava = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    if (fromJava.precision() == 2) {
      BigDecimal one =
          new BigDecimal(d).round(new java.math.MathContext(1, java.math.RoundingMode.HALF_EVEN));
      if (one.doubleValue() == d) {
        return one.stripTrailingZeros();
      }
    }
    return fromJava;
  }
}
