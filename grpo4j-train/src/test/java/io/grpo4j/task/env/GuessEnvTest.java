package io.grpo4j.task.env;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import io.grpo4j.task.TestPython;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shipped example's environment, examples/guess/env.py, over the real protocol: its replies
 * (higher, lower, a complaint, the reward 1 − 0.1·(turns − 1)), and with {@code --expected-reward}
 * its {@code turn_scores}: one per model turn, cumulative, each step the value of the guess over
 * the range the answers left minus the value of that range (checked against a brute force over
 * every secret and every guess, not the program's closed recursion), ending at the reward — whose
 * mean over the 31 secrets equals the game reward's for any fixed way of playing.
 */
@Timeout(60)
class GuessEnvTest {

  private static CommandEnvironment guessEnv(String args) {
    String cmd = TestPython.command(TestPython.repositoryFile("examples/guess/env.py"), args);
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
  void expectedRewardScoresEachGuessByItsValueOverTheRangeLeft() {
    try (CommandEnvironment env = guessEnv("--expected-reward")) {
      // secret 23: 16 → higher (17..31), 40 is outside (a turn spent), 24 → lower (17..23), 23
      EnvReply r = env.step(episode("a", 23, false, "16", "40", "24", "23")).join();
      assertThat(r.success()).isTrue();
      assertThat(r.reason()).isEqualTo("found 23 in 4 turns, game reward 0.7");
      double[] s = r.turnScores();
      assertThat(s).hasSize(4); // one per model turn, cumulative
      double[] a = {
        bruteQ(1, 31, 0, 16) - bruteValue(1, 31, 0),
        bruteQ(17, 31, 1, 40) - bruteValue(17, 31, 1),
        bruteQ(17, 31, 2, 24) - bruteValue(17, 31, 2),
        bruteQ(17, 23, 3, 23) - bruteValue(17, 23, 3)
      };
      double sum = bruteValue(1, 31, 0);
      for (int k = 0; k < 4; k++) {
        sum += a[k];
        assertThat(s[k]).isCloseTo(sum, within(1e-5));
      }
      assertThat(r.reward()).isEqualTo(s[3]); // the token rewards add up to the reward
      assertThat(a[0]).isPositive(); // the middle beats a uniform guess
      assertThat(a[1]).isNegative(); // a guess outside the range only spends a turn
      assertThat(a[3]).isNegative(); // right, but an edge of 17..23 was a poor bet
    }
  }

  @Test
  void expectedRewardHasTheGameRewardsMeanForAnyWayOfPlaying() {
    List<Player> players =
        List.of(
            (lo, hi, k) -> String.valueOf((lo + hi) / 2), // bisection
            (lo, hi, k) -> String.valueOf(lo), // the low end
            (lo, hi, k) -> String.valueOf(hi > lo ? hi - 1 : lo),
            (lo, hi, k) -> List.of("7", "40", "x", "20", "3").get(k)); // ignores the answers
    try (CommandEnvironment game = guessEnv("");
        CommandEnvironment expected = guessEnv("--expected-reward")) {
      for (Player player : players) {
        double r = 0;
        double e = 0;
        for (int secret = 1; secret <= 31; secret++) {
          double[] both = play(game, expected, player, secret);
          r += both[0] / 31;
          e += both[1] / 31;
        }
        assertThat(e).isCloseTo(r, within(1e-5));
      }
    }
    // the value of the start is what the SFT transcripts' strategy earns: found 54.3 % of the time
    assertThat(bruteSuccess(1, 31, 0)).isCloseTo(0.5432, within(1e-4));
  }

  /** A fixed way of playing: the k-th guess (from 0) given the range the answers allow. */
  private interface Player {
    String guess(int lo, int hi, int k);
  }

  /** One episode against both programs: {game reward, expected reward}. */
  private static double[] play(
      CommandEnvironment game, CommandEnvironment expected, Player player, int secret) {
    int lo = 1;
    int hi = 31;
    List<EnvRequest.Turn> ts = new ArrayList<>();
    for (int k = 0; k < 5; k++) {
      String g = player.guess(lo, hi, k);
      ts.add(EnvRequest.Turn.assistant(g + "\n"));
      EnvRequest req =
          new EnvRequest(
              "p" + secret + ":" + k,
              TextNode.valueOf("Guess my number (1-31).\n"),
              JsonNodeFactory.instance.numberNode(secret),
              JsonNodeFactory.instance.objectNode(),
              ts,
              k == 4);
      EnvReply a = game.step(req).join();
      EnvReply b = expected.step(req).join();
      assertThat(b.done()).isEqualTo(a.done());
      if (a.done()) {
        assertThat(b.success()).isEqualTo(a.success());
        return new double[] {a.reward(), b.reward()};
      }
      assertThat(b.observation()).isEqualTo(a.observation());
      ts.add(EnvRequest.Turn.environment(a.observation()));
      if (g.matches("\\d+")) {
        int n = Integer.parseInt(g);
        if (lo <= n && n <= hi) {
          if (n < secret) lo = n + 1;
          else hi = n - 1;
        }
      }
    }
    throw new AssertionError("no done after the final request");
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

  /** Expected reward of guessing g first from lo..hi, j turns used: by enumerating the secret. */
  private double bruteQ(int lo, int hi, int j, int g) {
    double sum = 0;
    for (int x = lo; x <= hi; x++) {
      if (g == x) sum += 1.0 - 0.1 * j;
      else if (g < lo || g > hi) sum += given(x, lo, hi, j + 1, false);
      else if (g < x) sum += given(x, g + 1, hi, j + 1, false);
      else sum += given(x, lo, g - 1, j + 1, false);
    }
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
