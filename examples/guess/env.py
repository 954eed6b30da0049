#!/usr/bin/env python3
"""The guessing game as a grpo4j environment (protocol: docs/environments.md).

    python3 examples/guess/env.py [--expected-reward]

The number to find is the row's `answer` (1..31). After each model turn grpo4j sends the episode
so far; the model's latest turn should be one number. The reply is an observation - "higher",
"lower", or a complaint about a turn that is not a number from 1 to 31 - or, when the guess is
right or the request is the final one, the end of the episode with the game's reward:

  R = 1 - 0.1 * (turns - 1) when found (1.0 on the first guess, 0.6 on the fifth), else 0.

The reason says how the episode went. No state: every request carries the whole episode.

--expected-reward (what examples/guess/guess.yaml trains with) replaces R by an estimate of it
with the same expectation and far less noise, and sends it per guess as `turn_scores`. Whether a
guess was lucky depends on the secret, which the player cannot know; what it can know is the range
of numbers the answers so far allow, and the secret is uniform in that range (the data draws it
uniformly from 1..31). So each guess is scored by its value averaged over that range:

  V(m, j)      = (1 - 0.1 j)/m + (2/m^2) * sum_{q=1}^{m-1} q V(q, j + 1),   V(., 5) = 0
               the expected reward from a range of m numbers with j turns used, the remaining
               guesses uniform inside the range (the SFT transcripts' strategy);
  Q(r, j, g)   = the same after guessing g first: (1 - 0.1 j + (m - p) V(m - p, j + 1)
               + (p - 1) V(p - 1, j + 1))/m for g the p-th number of the range r, V(m, j + 1) for
               a guess outside it (a turn spent, nothing learnt);
  a_k          = Q(r_k, k - 1, g_k) - V(|r_k|, k - 1), r_k the range before guess k;
  turn_scores  = s_k = V(31, 0) + a_1 + ... + a_k, and reward = s_K.

With V(found) = R and V(after the fifth turn) = 0, the realised increments V(after guess k) -
V(before it) add up to R - V(31, 0) for every episode, and a_k is their expectation given what the
player knew (the secret uniform in r_k). Hence E[reward] = E[R] for every policy (exactly, over the
31 secrets, for any fixed way of playing: GuessEnvTest): the objective is unchanged, only the luck
of the draw is averaged out of each guess's score. The episode's `success` stays the real outcome,
and the reason quotes the game's reward R. The trainer turns the scores into token rewards s_k -
s_{k-1} on the last token of turn k (s_0 = 0): a_k, the first turn's plus V(31, 0).
"""
import functools
import json
import sys

LOW, HIGH, TURNS = 1, 31, 5


@functools.lru_cache(maxsize=None)
def value(m, j):
    """V(m, j): expected reward from a range of m numbers, j turns used, uniform guesses in it."""
    if j >= TURNS or m <= 0:
        return 0.0
    return (1.0 - 0.1 * j) / m + 2.0 / (m * m) * sum(q * value(q, j + 1) for q in range(1, m))


def guess_value(lo, hi, j, g):
    """Q: expected reward of guessing g from the range lo..hi with j turns used."""
    m = hi - lo + 1
    if g is None or not lo <= g <= hi:
        return value(m, j + 1)
    p = g - lo + 1
    return ((1.0 - 0.1 * j) + (m - p) * value(m - p, j + 1) + (p - 1) * value(p - 1, j + 1)) / m


def expected_scores(guesses, secret):
    """s_k = V(31, 0) + sum of a_j through turn k, one per model turn."""
    lo, hi, total, scores = LOW, HIGH, value(HIGH - LOW + 1, 0), []
    for j, g in enumerate(guesses):
        total += guess_value(lo, hi, j, g) - value(hi - lo + 1, j)
        scores.append(round(total, 6))
        if g is not None and lo <= g <= hi and g != secret:
            lo, hi = (g + 1, hi) if g < secret else (lo, g - 1)
    return scores


def guess_of(turn):
    text = turn["content"].strip()
    return int(text) if text.isdigit() else None


def reply(req, expected=False):
    guesses = [guess_of(t) for t in req["turns"] if t["role"] == "assistant"]
    k = len(guesses)  # model turns so far
    secret = int(req["answer"])
    guess = guesses[-1]
    if guess == secret:
        done = {"id": req["id"], "done": True, "reward": round(1.0 - 0.1 * (k - 1), 6),
                "success": True, "reason": "found %d in %d turns" % (secret, k)}
    elif req.get("final"):
        done = {"id": req["id"], "done": True, "reward": 0.0, "success": False,
                "reason": "not found in %d turns (%d)" % (k, secret)}
    elif guess is None or not LOW <= guess <= HIGH:
        return {"id": req["id"], "observation": "a number from %d to %d\n" % (LOW, HIGH)}
    else:
        return {"id": req["id"], "observation": "higher\n" if guess < secret else "lower\n"}
    if expected:
        done["turn_scores"] = expected_scores(guesses, secret)
        done["reason"] += ", game reward %g" % done["reward"]
        done["reward"] = done["turn_scores"][-1]
    return done


def main():
    expected = "--expected-reward" in sys.argv[1:]
    print("guess env ready", file=sys.stderr, flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            out = reply(req, expected)
        except (KeyError, TypeError, ValueError) as e:
            out = {"id": req.get("id"), "error": "cannot play this request: %r" % e}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
