package io.grpo4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Expected texts are Python 3.11's repr(float) / json.dumps output, pasted verbatim. */
class PythonJsonTest {
  /** HF's defaults: non-ASCII kept, one line, {@code ", "} and {@code ": "}, keys in order. */
  static final PythonJson.Options HF_DEFAULT = PythonJson.Options.of(false, null, null, false);

  @ParameterizedTest
  @CsvSource({
    "0.0001, 0.0001",
    "0.00001234, 1.234e-05",
    "1e15, 1000000000000000.0",
    "1234567890123456.7, 1234567890123456.8",
    "123456789012345678.0, 1.2345678901234568e+17",
    "4.9E-324, 5e-324",
    "1.7976931348623157e308, 1.7976931348623157e+308",
    "3.14159, 3.14159",
    "100.0, 100.0",
    "1e22, 1e+22",
    "0.30000000000000004, 0.30000000000000004",
    "-2.5e-7, -2.5e-07",
    "9999999999999998.0, 9999999999999998.0",
    "-0.0, -0.0",
    "0.0, 0.0"
  })
  void floatsAreSpelledAsPythonsRepr(double value, String python) {
    assertThat(PythonJson.floatRepr(value)).isEqualTo(python);
  }

  @Test
  void indentedOutputMatchesJsonDumpsIndent2() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("a", null);
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("k", List.of(1, inner));
    value.put("e", List.of());
    assertThat(PythonJson.dumps(value, PythonJson.Options.of(false, 2, null, false)))
        .isEqualTo("{\n  \"k\": [\n    1,\n    {\n      \"a\": null\n    }\n  ],\n  \"e\": []\n}");
  }

  @Test
  void ensureAsciiEscapesUtf16UnitsInLowerCaseHex() {
    assertThat(PythonJson.dumps("\u2028🙂ÿ", PythonJson.Options.of(true, null, null, false)))
        .isEqualTo("\"\\u2028\\ud83d\\ude42\\u00ff\"");
    assertThat(PythonJson.dumps("\u2028🙂ÿ", HF_DEFAULT)).isEqualTo("\"\u2028🙂ÿ\"");
  }

  @Test
  void unserialisableValuesAreRefusedByType() {
    assertThatThrownBy(() -> PythonJson.dumps(List.of(new Object()), HF_DEFAULT))
        .hasMessageContaining("not JSON serializable");
  }
}
