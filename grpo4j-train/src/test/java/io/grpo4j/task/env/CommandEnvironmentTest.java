package io.grpo4j.task.env;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import io.grpo4j.task.TestPython;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The environment protocol against a real program
 * (grpo4j-train/src/test/resources/env/fake_env.py): replies matched by id, and an environment that
 * hangs, crashes or answers garbage fails only its own requests, the others go on.
 */
class CommandEnvironmentTest {

  static String program(String args) {
    try {
      Path p = Path.of(CommandEnvironmentTest.class.getResource("/env/fake_env.py").toURI());
      return TestPython.command(p, args);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static EnvRequest request(String id, boolean last, String... turns) {
    List<EnvRequest.Turn> ts = new ArrayList<>();
    for (int i = 0; i < turns.length; i++) {
      ts.add(
          i % 2 == 0 ? EnvRequest.Turn.assistant(turns[i]) : EnvRequest.Turn.environment(turns[i]));
    }
    return new EnvRequest(
        id,
        TextNode.valueOf("guess"),
        JsonNodeFactory.instance.numberNode(7),
        JsonNodeFactory.instance.objectNode().put("level", 2),
        ts,
        last);
  }

  @Test
  void observationsAndDoneComeBackMatchedById() {
    try (CommandEnvironment env =
        new CommandEnvironment(program(""), 2, Duration.ofSeconds(20), null)) {
      CompletableFuture<EnvReply> a = env.step(request("a", false, "12"));
      CompletableFuture<EnvReply> b = env.step(request("b", false, "3", "obs1", "4"));
      CompletableFuture<EnvReply> c =
          env.step(
              request(
                  "c",
                  false,
                  "<tool_call>\n{\"name\": \"calc\", \"arguments\": {\"x\": 1}}\n</tool_call>",
                  "obs1",
                  "done"));
      CompletableFuture<EnvReply> d = env.step(request("d", true, "5"));
      assertThat(a.join().observation()).isEqualTo("obs1");
      assertThat(b.join().observation()).isEqualTo("obs2");
      EnvReply done = c.join();
      assertThat(done.done()).isTrue();
      assertThat(done.reward()).isEqualTo(2.0);
      assertThat(done.turnScores()).containsExactly(0.1, 0.2);
      // tool calls of the latest turn are parsed for the environment; metadata travels untouched
      assertThat(done.reason()).isEqualTo("tools=[] meta={\"level\": 2}");
      EnvReply fin = d.join();
      assertThat(fin.done()).isTrue();
      assertThat(fin.reward()).isEqualTo(-1.0);
      assertThat(fin.reason()).isEqualTo("final after 1 turns; answer=7");
      assertThat(env.diagnostics()).contains("fake env ready");
    }
  }

  @Test
  void toolCallsOfTheTurnReachTheProgram() {
    try (CommandEnvironment env =
        new CommandEnvironment(program(""), 1, Duration.ofSeconds(20), null)) {
      EnvReply r =
          env.step(
                  request(
                      "t",
                      false,
                      "let me see <tool_call>\n{\"name\": \"calc\", \"arguments\": {\"x\": 1}}\n</tool_call> done"))
              .join();
      assertThat(r.reason())
          .isEqualTo("tools=[{\"name\": \"calc\", \"arguments\": {\"x\": 1}}] meta={\"level\": 2}");
    }
  }

  @Test
  @Timeout(60)
  void aHangingCopyTimesOutAndOnlyItsRequestsFail() {
    try (CommandEnvironment env =
        new CommandEnvironment(program(""), 2, Duration.ofSeconds(3), null)) {
      // both copies started (a start on a busy machine must not count against the timeout)
      CompletableFuture<EnvReply> w0 = env.step(request("w0", false, "x"));
      CompletableFuture<EnvReply> w1 = env.step(request("w1", false, "x"));
      assertThat(w0.join().failed() || w1.join().failed()).isFalse();
      CompletableFuture<EnvReply> hang = env.step(request("h", false, "hang"));
      // the other copy keeps serving while the first one is silent
      List<CompletableFuture<EnvReply>> others = new ArrayList<>();
      for (int i = 0; i < 4; i++) others.add(env.step(request("o" + i, false, "x")));
      for (CompletableFuture<EnvReply> o : others) {
        assertThat(o.join().failed()).as("%s", o.join()).isFalse();
        assertThat(hang.isDone()).isFalse();
      }
      EnvReply h = hang.join();
      assertThat(h.failed()).isTrue();
      assertThat(h.reason()).contains("timed out").contains("env.timeout_s");
      // killed and restarted by the next request
      assertThat(env.step(request("after", false, "x")).join().observation()).isEqualTo("obs1");
    }
  }

  @Test
  @Timeout(60)
  void aCrashOrGarbageFailsTheOutstandingRequestsAndTheProgramRestarts() {
    try (CommandEnvironment env =
        new CommandEnvironment(program(""), 1, Duration.ofSeconds(20), null)) {
      EnvReply crash = env.step(request("c", false, "crash")).join();
      assertThat(crash.failed()).isTrue();
      assertThat(crash.reason()).contains("exited with code 3");
      assertThat(env.diagnostics()).contains("boom");
      assertThat(env.step(request("a", false, "x")).join().observation()).isEqualTo("obs1");

      EnvReply garbage = env.step(request("g", false, "garbage")).join();
      assertThat(garbage.failed()).isTrue();
      assertThat(garbage.reason()).contains("malformed environment output");
      assertThat(env.step(request("b", false, "x")).join().observation()).isEqualTo("obs1");

      EnvReply error = env.step(request("e", false, "error")).join();
      assertThat(error.failed()).isTrue();
      assertThat(error.reason()).isEqualTo("environment error: cannot judge");
      // a stray id is ignored; the request's own reply still counts
      EnvReply stray = env.step(request("s", false, "stray done")).join();
      assertThat(stray.done()).isTrue();
    }
  }

  @Test
  void aProgramThatCannotStartFailsEveryRequestWithItsMessage() {
    try (CommandEnvironment env =
        new CommandEnvironment(program("dead"), 1, Duration.ofSeconds(20), null)) {
      EnvReply r = env.step(request("x", false, "1")).join();
      assertThat(r.failed()).isTrue();
      assertThat(r.reason()).contains("exited with code 1");
      assertThat(env.diagnostics()).contains("cannot load the game");
    }
  }

  @Test
  void aJavaEnvironmentRunsOnItsOwnThreadsAndItsExceptionsAreFailures() {
    Environment game =
        request -> {
          String latest = request.turns().get(request.turns().size() - 1).content();
          if (latest.equals("throw")) throw new IllegalStateException("bad state");
          if (latest.equals("slow")) Thread.sleep(5_000);
          if (latest.equals("null")) return null;
          return request.last()
              ? EnvReply.done(1, true, null, "final")
              : EnvReply.observation("saw " + latest);
        };
    try (JavaEnvironment env = new JavaEnvironment(game, 2, Duration.ofMillis(500))) {
      CompletableFuture<EnvReply> slow = env.step(request("s", false, "slow"));
      assertThat(env.step(request("a", false, "hi")).join().observation()).isEqualTo("saw hi");
      assertThat(env.step(request("f", true, "hi")).join().done()).isTrue();
      assertThat(env.step(request("t", false, "throw")).join().reason())
          .contains("IllegalStateException: bad state");
      assertThat(env.step(request("n", false, "null")).join().failed()).isTrue();
      assertThat(slow.join().reason()).contains("timed out");
    }
  }
}
