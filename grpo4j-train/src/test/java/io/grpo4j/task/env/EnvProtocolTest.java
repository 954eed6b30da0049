package io.grpo4j.task.env;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvProtocolTest {

  @Test
  void aRequestIsTheDocumentedObject() {
    EnvRequest r =
        new EnvRequest(
            "3:row-1:2",
            TextNode.valueOf("Guess my number"),
            JsonNodeFactory.instance.numberNode(17),
            JsonNodeFactory.instance.objectNode().put("id", "row-1"),
            List.of(
                EnvRequest.Turn.assistant("16\n"),
                EnvRequest.Turn.environment("higher\n"),
                EnvRequest.Turn.assistant(
                    "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": [1]}}\n</tool_call>")),
            false);
    assertThat(EnvProtocol.requestLine(r))
        .isEqualTo(
            "{\"id\":\"3:row-1:2\",\"prompt\":\"Guess my number\",\"answer\":17,"
                + "\"metadata\":{\"id\":\"row-1\"},\"turns\":["
                + "{\"role\":\"assistant\",\"content\":\"16\\n\"},"
                + "{\"role\":\"environment\",\"content\":\"higher\\n\"},"
                + "{\"role\":\"assistant\",\"content\":\"<tool_call>\\n{\\\"name\\\": \\\"f\\\", "
                + "\\\"arguments\\\": {\\\"a\\\": [1]}}\\n</tool_call>\","
                + "\"tool_calls\":[{\"name\":\"f\",\"arguments\":{\"a\":[1]}}]}]}");
    EnvRequest last =
        new EnvRequest("x", null, null, null, List.of(EnvRequest.Turn.assistant("1")), true);
    assertThat(EnvProtocol.requestLine(last))
        .isEqualTo(
            "{\"id\":\"x\",\"prompt\":null,\"answer\":null,\"metadata\":{},"
                + "\"turns\":[{\"role\":\"assistant\",\"content\":\"1\"}],\"final\":true}");
  }

  @Test
  void repliesParseAndBadFieldsAreFailuresOfTheirRequest() {
    assertThat(EnvProtocol.parseLine("{\"id\": \"a\", \"observation\": \"lower\\n\"}").reply())
        .satisfies(
            r -> {
              assertThat(r.observation()).isEqualTo("lower\n");
              assertThat(r.done()).isFalse();
              assertThat(r.role()).isNull();
            });
    assertThat(EnvProtocol.parseLine("{\"id\": 7, \"observation\": \"x\", \"role\": \"tool\"}"))
        .satisfies(
            p -> {
              assertThat(p.id()).isEqualTo("7");
              assertThat(p.reply().role()).isEqualTo("tool");
            });
    EnvReply done =
        EnvProtocol.parseLine(
                "{\"id\": \"a\", \"done\": true, \"reward\": 0.5, \"turn_scores\": [0, 0.25], \"reason\": \"r\"}")
            .reply();
    assertThat(done.done()).isTrue();
    assertThat(done.reward()).isEqualTo(0.5);
    assertThat(done.success()).isTrue(); // default: reward > 0
    assertThat(done.turnScores()).containsExactly(0.0, 0.25);
    assertThat(done.reason()).isEqualTo("r");
    assertThat(
            EnvProtocol.parseLine(
                    "{\"id\": \"a\", \"done\": true, \"reward\": 0, \"success\": true}")
                .reply()
                .success())
        .isTrue();

    for (String bad :
        List.of(
            "{\"id\": \"a\"}",
            "{\"id\": \"a\", \"observation\": 3}",
            "{\"id\": \"a\", \"done\": \"yes\", \"reward\": 1}",
            "{\"id\": \"a\", \"done\": true}",
            "{\"id\": \"a\", \"done\": true, \"reward\": \"1\"}",
            "{\"id\": \"a\", \"done\": true, \"reward\": 1, \"observation\": \"x\"}",
            "{\"id\": \"a\", \"done\": true, \"reward\": 1, \"success\": 1}",
            "{\"id\": \"a\", \"done\": true, \"reward\": 1, \"turn_scores\": [\"x\"]}",
            "{\"id\": \"a\", \"done\": true, \"reward\": 1, \"turn_scores\": 1}",
            "{\"id\": \"a\", \"observation\": \"x\", \"role\": \"system\"}",
            "{\"id\": \"a\", \"error\": \"out of tokens\"}")) {
      EnvProtocol.Reply p = EnvProtocol.parseLine(bad);
      assertThat(p.id()).isEqualTo("a");
      assertThat(p.reply().failed()).as(bad).isTrue();
    }
    assertThat(
            EnvProtocol.parseLine(
                    "{\"id\": \"a\", \"done\": true, \"reward\": 1, \"turn_scores\": [1e999]}")
                .reply()
                .failed())
        .isTrue();
    // a line that cannot be matched to a request is a protocol violation
    assertThatThrownBy(() -> EnvProtocol.parseLine("not json")).hasMessageContaining("not JSON");
    assertThatThrownBy(() -> EnvProtocol.parseLine("{\"observation\": \"x\"}"))
        .hasMessageContaining("no string 'id'");
    assertThatThrownBy(() -> EnvProtocol.parseLine("[1]")).hasMessageContaining("JSON object");
  }

  @Test
  void toolCallsAreTheWellFormedBlocks() {
    assertThat(ToolCalls.parse("no calls")).isEmpty();
    assertThat(
            ToolCalls.parse(
                "a <tool_call>{\"name\": \"f\", \"arguments\": {\"x\": 2}}</tool_call> b "
                    + "<tool_call>\n{\"name\": \"g\"}\n</tool_call>"
                    + "<tool_call>not json</tool_call><tool_call>{\"arguments\": {}}</tool_call>"
                    + "<tool_call>{\"name\": \"unclosed\"}"))
        .containsExactly(
            Map.of("name", "f", "arguments", Map.of("x", 2)),
            Map.of("name", "g", "arguments", Map.of()));
  }

  @Test
  void configIsCheckedOnce() {
    assertThat(EnvConfig.DEFAULTS.enabled()).isFalse();
    assertThatThrownBy(() -> new EnvConfig("python3 e.py", "game", null, 4, null, 100, 1, 1, 1))
        .hasMessageContaining("env.command and env.name");
    assertThatThrownBy(() -> new EnvConfig("x", null, null, 0, null, 100, 1, 1, 1))
        .hasMessageContaining("env.max_turns");
    assertThatThrownBy(() -> new EnvConfig("x", null, null, 1, List.of(""), 100, 1, 1, 1))
        .hasMessageContaining("env.turn_stop[0]");
    assertThatThrownBy(() -> new EnvConfig("x", null, null, 1, null, 100, 0, 1, 1))
        .hasMessageContaining("env.concurrency");
    assertThatThrownBy(() -> new EnvConfig("x", null, null, 1, null, 100, 1, 0, 1))
        .hasMessageContaining("env.timeout_s");
    assertThat(new EnvConfig("x", null, null, 1, null, 100, 1, 1, 1).enabled()).isTrue();
  }
}
