package io.grpo4j.task.env;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import io.grpo4j.task.TestPython;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shipped example's environment, examples/guess/env.py, over the real protocol: its replies
 * (higher, lower, a complaint, the reward 1 − 0.1·(turns − 1)), and with {@code --turn-scores} its
 * {@code turn_scores}: one per model turn, the last one the reward, the others the value V(m_k, k)
 * of the position after turn k under uniform play inside the range — checked against a brute force
 * over every secret and every guess, not the program's closed recursion.
 */
@Timeout(60)
class GuessEnvTest {

  private static Path repository() {
    Path d = Path.of("").toAbsolutePath();
    while (d != null && !Files.isRegularFile(d.resolve("examples/guess/env.py"))) d = d.getParent();
    if (d == null) throw new IllegalStateException("examples/guess/env.py not found above the cwd");
    return d;
  }

  private static CommandEnvironment guessEnv(String args) {
    String cmd = TestPython.command(repository().resolve("examples/guess/env.py"), args);
    return new CommandEnvironment(cmd, 1, Duration.ofSeconds(30), null);
  }

  /** An episode for secret {@code answer}: the model's guesses, each answered as the game would. */
  private static EnvRequest episode(String id, int answer, boolean last, String... guesses) {
    List<EnvRequest.Turn> ts = new ArrayList<>();
    for (int i = 0; i < guesses.length; i++) {
      if (i > 0) ts.add(EnvRequest.Turn.environment("(reply)\n"));
      ts.add(EnvRequest.Turn.assistant(guesses[i] + "\n"));
    }
    return new EnvRequest(
        id,
        TextNode.valueOf("Guess my number (1-31).\n"),
        JsonNodeFactory.instance.numberNode(answer),
        JsonNodeFactory.instance.objectNode(),
        ts,
        last);
  }

  @Test
  void answersHigherLowerAndRewardsFewTurns() {
    try (CommandEnvironment env = guessEnv("")) {
      assertThat(env.step(episode("a", 23, false, "16")).join().observation())
          .isEqualTo("higher\n");
      assertThat(env.step(episode("b", 23, false, "16", "24")).join().observation())
          .isEqualTo("lower\n");
      assertThat(env.step(episode("c", 23, false, "40")).join().observation())
          .isEqualTo("a number from 1 to 31\n");
      assertThat(env.step(episode("d", 23, false, "x")).join().observation())
          .isEqualTo("a number from 1 to 31\n");
      EnvReply found = env.step(episode("e", 23, false, "16", "24", "23")).join();
      assertThat(found.done()).isTrue();
      assertThat(found.success()).isTrue();
      assertThat(found.reward()).isCloseTo(0.8, within(1e-9));
      assertThat(found.turnScores()).isNull(); // only with --turn-scores
      EnvReply lost = env.step(episode("f", 23, true, "1", "2", "3", "4", "5")).join();
      assertThat(lost.done()).isTrue();
      assertThat(lost.success()).isFalse();
      assertThat(lost.reward()).isEqualTo(0.0);
    }
  }

  @Test
  void turnScoresAreTheValueOfEachPositionAndEndAtTheReward() {
    try (CommandEnvironment env = guessEnv("--turn-scores")) {
      // secret 23: 16 → higher (17..31), 40 is outside (nothing new), 24 → lower (17..23), 23 found
      EnvReply r = env.step(episode("a", 23, false, "16", "40", "24", "23")).join();
      assertThat(r.reward()).isCloseTo(0.7, within(1e-9));
      double[] s = r.turnScores();
      assertThat(s).hasSize(4); // one per model turn
      assertThat(s[0]).isCloseTo(bruteValue(17, 31, 1), within(1e-6));
      assertThat(s[1]).isCloseTo(bruteValue(17, 31, 2), within(1e-6)); // a turn spent, no news
      assertThat(s[2]).isCloseTo(bruteValue(17, 23, 3), within(1e-6));
      assertThat(s[3])
          .isEqualTo(r.reward()); // the token rewards s_k − s_{k−1}, R − s_K add up to R
      assertThat(s[1]).isLessThan(s[0]);

      // lost after five turns: one score per turn, the last the reward 0; a non-number tells
      // nothing
      EnvReply lost = env.step(episode("b", 5, true, "16", "x", "8", "1", "2")).join();
      double[] t = lost.turnScores();
      assertThat(t).hasSize(5);
      assertThat(t[0]).isCloseTo(bruteValue(1, 15, 1), within(1e-6));
      assertThat(t[1]).isCloseTo(bruteValue(1, 15, 2), within(1e-6));
      assertThat(t[2]).isCloseTo(bruteValue(1, 7, 3), within(1e-6));
      assertThat(t[3]).isCloseTo(bruteValue(2, 7, 4), within(1e-6));
      assertThat(t[4]).isEqualTo(0.0);

      // found at once: the only score is the reward
      assertThat(env.step(episode("c", 9, false, "9")).join().turnScores()).containsExactly(1.0);
    }
    // the value of the start is what the SFT transcripts' strategy earns: found 54.3 % of the time
    assertThat(bruteSuccess(1, 31, 0)).isCloseTo(0.5432, within(1e-4));
  }

  private final Map<String, Double> memo = new HashMap<>();

  /**
   * Expected reward from the range lo..hi with j turns used, the secret uniform in it, each guess
   * uniform in the range the answers leave: by enumerating secret and guess.
   */
  private double bruteValue(int lo, int hi, int j) {
    double sum = 0;
    for (int x = lo; x <= hi; x++) sum += given(x, lo, hi, j, false);
    return sum / (hi - lo + 1);
  }

  private double bruteSuccess(int lo, int hi, int j) {
    double sum = 0;
    for (int x = lo; x <= hi; x++) sum += given(x, lo, hi, j, true);
    return sum / (hi - lo + 1);
  }

  private double given(int x, int lo, int hi, int j, boolean successOnly) {
    if (j >= 5) return 0;
    String key = x + ":" + lo + ":" + hi + ":" + j + ":" + successOnly;
    Double v = memo.get(key);
    if (v != null) return v;
    double sum = 0;
    for (int g = lo; g <= hi; g++) {
      if (g == x) sum += successOnly ? 1.0 : 1.0 - 0.1 * j;
      else if (g < x) sum += given(x, g + 1, hi, j + 1, successOnly);
      else sum += given(x, lo, g - 1, j + 1, successOnly);
    }
    double r = sum / (hi - lo + 1);
    memo.put(key, r);
    return r;
  }
}
