package io.grpo4j.task.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.grpo4j.task.Problem;
import io.grpo4j.task.TokenRewards;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RewardProtocolTest {

  @Test
  void aRequestIsTheProtocolsObjectWithItsFieldsInOrder() {
    var chat = JsonNodeFactory.instance.arrayNode();
    chat.addObject().put("role", "user").put("content", "2+2?");
    var meta = JsonNodeFactory.instance.objectNode().put("level", 3);
    assertThat(
            new RewardRequest("7", chat, "4", JsonNodeFactory.instance.numberNode(4), meta)
                .toJson()
                .toString())
        .isEqualTo(
            "{\"id\":\"7\",\"prompt\":[{\"role\":\"user\",\"content\":\"2+2?\"}],"
                + "\"completion\":\"4\",\"answer\":4,\"metadata\":{\"level\":3}}");
    assertThat(new RewardRequest("a", null, "", null, null).toJson().toString())
        .isEqualTo(
            "{\"id\":\"a\",\"prompt\":null,\"completion\":\"\",\"answer\":null,\"metadata\":{}}");
  }

  @Test
  void aFullResponseParses() {
    var r =
        RewardProtocol.parseLine(
            "{\"id\":\"s1\",\"reward\":0.7,\"success\":false,\"prefix_scores\":[[0,0],[3,0.5]],\"reason\":\"half\"}");
    assertThat(r.id()).isEqualTo("s1");
    assertThat(r.judgement())
        .isEqualTo(
            new Judgement(
                0.7,
                false,
                new PrefixScores(new int[] {0, 3}, new double[] {0, 0.5}),
                "half",
                false));
  }

  @Test
  void successDefaultsToAPositiveReward() {
    assertThat(RewardProtocol.parseLine("{\"id\":1,\"reward\":0.1}").judgement().success())
        .isTrue();
    assertThat(RewardProtocol.parseLine("{\"id\":1,\"reward\":0}").judgement().success()).isFalse();
    assertThat(RewardProtocol.parseLine("{\"id\":1,\"reward\":0}").id()).isEqualTo("1");
  }

  @Test
  void malformedResponsesAreFailuresOrErrorsNeverRewards() {
    assertThatThrownBy(() -> RewardProtocol.parseLine("0.7")).hasMessageContaining("JSON object");
    assertThatThrownBy(() -> RewardProtocol.parseLine("{\"reward\":1}"))
        .hasMessageContaining("'id'");
    assertThatThrownBy(() -> RewardProtocol.parseLine("reward=1")).hasMessageContaining("not JSON");
    for (String bad :
        List.of(
            "{\"id\":\"a\"}",
            "{\"id\":\"a\",\"reward\":\"high\"}",
            "{\"id\":\"a\",\"reward\":1,\"success\":\"yes\"}",
            "{\"id\":\"a\",\"reward\":1,\"prefix_scores\":[[2,0.5],[1,0.1]]}",
            "{\"id\":\"a\",\"reward\":1,\"prefix_scores\":[[0.5,0.5]]}",
            "{\"id\":\"a\",\"reward\":1,\"prefix_scores\":{\"0\":1}}",
            "{\"id\":\"a\",\"error\":\"GPU out of memory\"}")) {
      Judgement j = RewardProtocol.parseLine(bad).judgement();
      assertThat(j.failed()).as(bad).isTrue();
      assertThat(j.reason()).as(bad).isNotEmpty();
    }
  }

  @Test
  void matchingIsByIdInAnyOrderAndReportsWhatIsMissingOrStray() {
    List<RewardRequest> batch =
        List.of(
            new RewardRequest("a", null, "xy", null, null),
            new RewardRequest("b", null, "xyz", null, null),
            new RewardRequest("c", null, "", null, null));
    List<String> stray = new ArrayList<>();
    List<Judgement> got =
        RewardProtocol.match(
            batch,
            List.of(
                RewardProtocol.parseLine("{\"id\":\"b\",\"reward\":2}"),
                RewardProtocol.parseLine("{\"id\":\"zz\",\"reward\":9}"),
                RewardProtocol.parseLine("{\"id\":\"a\",\"reward\":1,\"prefix_scores\":[[3,1]]}"),
                RewardProtocol.parseLine("{\"id\":\"b\",\"reward\":7}")),
            "no answer",
            stray::add);
    assertThat(got.get(0).failed()).isTrue(); // offset 3 is beyond "xy"
    assertThat(got.get(0).reason()).contains("beyond");
    assertThat(got.get(1).reward()).isEqualTo(2.0);
    assertThat(got.get(2).failed()).isTrue();
    assertThat(got.get(2).reason()).isEqualTo("no answer");
    assertThat(stray).hasSize(2);
  }

  @Test
  void prefixScoresAreAStepFunctionOverCodePoints() {
    PrefixScores p = new PrefixScores(new int[] {2, 5}, new double[] {0.25, 1.0});
    assertThat(p.at(0)).isZero();
    assertThat(p.at(1)).isZero();
    assertThat(p.at(2)).isEqualTo(0.25);
    assertThat(p.at(4)).isEqualTo(0.25);
    assertThat(p.at(9)).isEqualTo(1.0);
    // "😀a" is 3 UTF-16 units but 2 code points
    assertThat(p.at("😀a")).isEqualTo(0.25);
    PrefixScores sum =
        PrefixScores.weightedSum(
            new PrefixScores[] {p, null, new PrefixScores(new int[] {3}, new double[] {1})},
            new double[] {2, 5, -1});
    assertThat(sum.offsets()).containsExactly(2, 3, 5);
    assertThat(sum.scores()).containsExactly(0.5, -0.5, 1.0);
  }

  @Test
  void prefixScoresBecomeTokenRewardsSummingToTheReward() {
    // completion "ab😀cd" in 3 tokens: "ab", the 4 bytes of 😀 split 2+2, "cd"
    byte[] emoji = "😀".getBytes(StandardCharsets.UTF_8);
    List<byte[]> tokens =
        List.of(
            "ab".getBytes(StandardCharsets.UTF_8),
            new byte[] {emoji[0], emoji[1]},
            new byte[] {emoji[2], emoji[3]},
            "cd".getBytes(StandardCharsets.UTF_8));
    // scores: 2 chars → 0.5, 3 chars → 0.75, 5 chars → 0.6 ; reward 1.0
    Judgement j =
        new Judgement(
            1.0,
            true,
            new PrefixScores(new int[] {2, 3, 5}, new double[] {0.5, 0.75, 0.6}),
            "",
            false);
    Problem<String> p = new Problem<>("p", "x");
    double[] r = TokenRewards.fromPrefixScores(j.<String>asVerifier(), p, tokens, true);
    // token 0 ends at 2 chars (0.5), token 1 ends mid-character (still 2 chars: 0),
    // token 2 completes the emoji (3 chars: 0.75 - 0.5), token 3 ends the text: reward 1.0 - 0.75
    assertThat(r).containsExactly(0.5, 0.0, 0.25, 0.25);
    // a truncated completion keeps the prefix score at the end instead
    double[] open = TokenRewards.fromPrefixScores(j.<String>asVerifier(), p, tokens, false);
    assertThat(open[3]).isEqualTo(0.6 - 0.75, org.assertj.core.data.Offset.offset(1e-12));
  }

  @Test
  void weightedSourcesAddUpAndAFailureFailsTheRequest() {
    RewardSource half =
        b ->
            b.stream().map(r -> Judgement.of(r.completion().length() / 2.0, true, "half")).toList();
    RewardSource flaky =
        b ->
            b.stream()
                .map(
                    r ->
                        r.completion().startsWith("x")
                            ? Judgement.failure("flaky")
                            : new Judgement(
                                1,
                                false,
                                new PrefixScores(new int[] {1}, new double[] {1}),
                                "",
                                false))
                .toList();
    try (Rewards rewards = new Rewards(List.of(half, flaky), new double[] {1.0, 0.5}, 3)) {
      List<Judgement> got =
          rewards.judge(
              List.of(
                  new RewardRequest("1", null, "abcd", null, null),
                  new RewardRequest("2", null, "xy", null, null)));
      assertThat(got.get(0).reward()).isEqualTo(2.0 + 0.5);
      assertThat(got.get(0).success()).isFalse(); // solved only when every source says so
      assertThat(got.get(0).prefixScores().at(1)).isEqualTo(0.5);
      assertThat(got.get(0).reason()).isEqualTo("half");
      assertThat(got.get(1).failed()).isTrue();
      assertThat(got.get(1).reason()).isEqualTo("flaky");
    }
  }
}
