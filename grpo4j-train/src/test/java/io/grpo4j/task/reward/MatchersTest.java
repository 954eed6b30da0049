package io.grpo4j.task.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class MatchersTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static RewardRequest req(String completion, String answerJson) {
    try {
      JsonNode answer = JSON.readTree(answerJson);
      return new RewardRequest("1", null, completion, answer, null);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  static double math(String completion, String answerJson) {
    return new MathMatch().judgeOne(req(completion, answerJson)).reward();
  }

  @Test
  void mathFindsTheFinalAnswerInEachPlace() {
    assertThat(math("I think 3, no: <answer>42</answer> done 7", "42")).isEqualTo(1.0);
    assertThat(math("so \\boxed{\\frac{7}{2}} and then 9", "\"3.5\"")).isEqualTo(1.0);
    assertThat(math("Natalia sold 48 clips.\n#### 72\n", "72")).isEqualTo(1.0);
    assertThat(math("first 12 then 15 finally 18 apples", "18")).isEqualTo(1.0);
    assertThat(math("first 12 then 15 finally 18 apples", "15")).isEqualTo(0.0);
    // the answer tag wins over a later number
    assertThat(math("<answer>5</answer> 6", "6")).isEqualTo(0.0);
    // inside the found text: the whole text if numeric, else its last number
    assertThat(math("<answer>x = -5</answer>", "-5")).isEqualTo(1.0);
    assertThat(math("no numbers at all", "1")).isEqualTo(0.0);
  }

  @Test
  void mathComparesExactRationals() {
    assertThat(math("<answer>0.5</answer>", "\"1/2\"")).isEqualTo(1.0);
    assertThat(math("<answer>2/4</answer>", "0.5")).isEqualTo(1.0);
    assertThat(math("<answer>0.50</answer>", "0.5")).isEqualTo(1.0);
    assertThat(math("<answer>1,234.5</answer>", "1234.5")).isEqualTo(1.0);
    assertThat(math("<answer>$12</answer>", "12")).isEqualTo(1.0);
    assertThat(math("<answer>1e3</answer>", "1000")).isEqualTo(1.0);
    assertThat(math("<answer>0.33</answer>", "\"1/3\"")).isEqualTo(0.0);
    assertThat(math("<answer>0.333333333333333333</answer>", "\"1/3\"")).isEqualTo(0.0);
    // a double would round these two to the same value; exact rationals do not
    assertThat(math("<answer>9007199254740993</answer>", "9007199254740992")).isEqualTo(0.0);
    assertThat(math("<answer>-3</answer>", "3")).isEqualTo(0.0);
    assertThat(math("<answer>7</answer>", "[6, 7]")).isEqualTo(1.0);
    // a non-numeric reference is compared as a normalised string
    assertThat(math("<answer> Paris. </answer>", "\"paris\"")).isEqualTo(1.0);
    assertThat(math("<answer>1/0</answer>", "1")).isEqualTo(0.0);
  }

  @Test
  void rationalParsingAgreesWithHandComputedValues() {
    assertThat(MathMatch.Rational.parse("6/8"))
        .hasValueSatisfying(r -> assertThat(r.toString()).isEqualTo("3/4"));
    assertThat(MathMatch.Rational.parse("-0.125"))
        .hasValueSatisfying(r -> assertThat(r.toString()).isEqualTo("-1/8"));
    assertThat(MathMatch.Rational.parse("(3)/(-6)"))
        .hasValueSatisfying(r -> assertThat(r.toString()).isEqualTo("-1/2"));
    assertThat(MathMatch.Rational.parse("abc")).isEmpty();
    assertThat(MathMatch.Rational.parse("1e99999")).isEmpty();
  }

  @Test
  void exactNormalisesCaseSpaceAndATrailingPeriod() {
    ExactMatch m = new ExactMatch();
    assertThat(m.judgeOne(req("  The   Eiffel\nTower. ", "\"the eiffel tower\"")).reward())
        .isEqualTo(1.0);
    assertThat(m.judgeOne(req("reasoning... <answer>B</answer>", "\"b\"")).success()).isTrue();
    assertThat(m.judgeOne(req("<answer>C</answer>", "[\"a\", \"b\"]")).reward()).isEqualTo(0.0);
    assertThat(m.judgeOne(req("42", "42")).reward()).isEqualTo(1.0);
    assertThat(m.judgeOne(req("42.0", "42")).reward()).isEqualTo(0.0);
  }

  @Test
  void regexRequiresAMatchOrAGroupEqualToTheAnswer() {
    RegexMatch any = new RegexMatch("def \\w+\\(", null);
    assertThat(any.judgeOne(req("def f(x): pass", "null")).reward()).isEqualTo(1.0);
    assertThat(any.judgeOne(req("lambda x: x", "null")).reward()).isEqualTo(0.0);
    RegexMatch group = new RegexMatch("Answer: (\\w+)", 1);
    assertThat(group.judgeOne(req("Answer: no\nAnswer: Yes", "\"yes\"")).reward()).isEqualTo(1.0);
    assertThat(group.judgeOne(req("Answer: Yes\nAnswer: no", "\"yes\"")).reward()).isEqualTo(0.0);
    assertThatThrownBy(() -> new RegexMatch("(", null)).hasMessageContaining("bad pattern");
    assertThatThrownBy(() -> new RegexMatch("a(b)", 2)).hasMessageContaining("group 2");
  }

  @Test
  void formatChecksTheShapeOnly() {
    FormatCheck f = new FormatCheck(null);
    assertThat(f.judgeOne(req("think first\n<answer>12</answer>\n", "0")).reward()).isEqualTo(1.0);
    assertThat(f.judgeOne(req("<answer>12</answer> trailing", "0")).reward()).isEqualTo(0.0);
    assertThat(f.judgeOne(req("<answer></answer>", "0")).reward()).isEqualTo(0.0);
    assertThat(f.judgeOne(req("<answer>1</answer><answer>2</answer>", "0")).reward())
        .isEqualTo(0.0);
    assertThat(f.judgeOne(req("no tags", "0")).reward()).isEqualTo(0.0);
    FormatCheck custom = new FormatCheck("\\d+");
    assertThat(custom.judgeOne(req("123", "0")).reward()).isEqualTo(1.0);
    assertThat(custom.judgeOne(req("123a", "0")).reward()).isEqualTo(0.0);
  }
}
