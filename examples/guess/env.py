#!/usr/bin/env python3
"""The guessing game as a grpo4j environment (protocol: docs/environments.md).

    python3 examples/guess/env.py [--turn-scores]

The number to find is the row's `answer` (1..31). After each model turn grpo4j sends the episode
so far; the model's latest turn should be one number. The reply is an observation - "higher",
"lower", or a complaint about a turn that is not a number from 1 to 31 - or, when the guess is
right or the request is the final one, the end of the episode:

  reward = 1 - 0.1 * (turns - 1) when found (1.0 on the first guess, 0.6 on the fifth), else 0.

The reason says how the episode went. No state: every request carries the whole episode.

--turn-scores adds `turn_scores` to the end of the episode: s_k, one per model turn, is the value
of the game after turn k, V(m_k, k) - the expected reward if the remaining turns were played as the
SFT transcripts play (uniformly at random inside the range the answers allow), m_k being how many
numbers the answers through turn k leave possible - and s_K = the reward itself at the last turn
(the game is over). The trainer turns them into token rewards s_k - s_{k-1} (s_0 = 0) on each turn's last
token, plus R - s_K at the end, which add up to the reward R. Under rl.advantage.mode=return_to_go
turn k's tokens are credited with R - s_{k-1}: the outcome minus the value of the position the
guess was made from, a baseline that depends only on the turns before it, so the expected gradient
is the same as with the reward alone (the objective is unchanged) and only its variance falls.
V(m, j) (j turns used, 5 - j left), from a guess uniform over the m positions:

  V(m, j) = (1 - 0.1 j)/m + (2/m^2) * sum_{q=1}^{m-1} q * V(q, j + 1),   V(., 5) = 0.
"""
import functools
import json
import sys

LOW, HIGH, TURNS = 1, 31, 5


@functools.lru_cache(maxsize=None)
def value(m, j):
    """V(m, j): expected reward of uniform play in a range of m numbers with j turns used."""
    if j >= TURNS or m <= 0:
        return 0.0
    return (1.0 - 0.1 * j) / m + 2.0 / (m * m) * sum(q * value(q, j + 1) for q in range(1, m))


def guess_of(turn):
    text = turn["content"].strip()
    return int(text) if text.isdigit() else None


def turn_scores(guesses, secret, reward):
    """s_k for each model turn: V(numbers left after turn k, k); the last one is the reward."""
    lo, hi, scores = LOW, HIGH, []
    for k, g in enumerate(guesses[:-1], start=1):
        if g is not None and lo <= g <= hi:  # a guess outside the range tells nothing new
            lo, hi = (g + 1, hi) if g < secret else (lo, g - 1)
        scores.append(round(value(hi - lo + 1, k), 6))
    return scores + [reward]


def reply(req, with_scores):
    turns = req["turns"]
    guesses = [guess_of(t) for t in turns if t["role"] == "assistant"]
    k = len(guesses)  # model turns so far
    secret = int(req["answer"])
    guess = guesses[-1]
    done = None
    if guess == secret:
        done = {"id": req["id"], "done": True, "reward": round(1.0 - 0.1 * (k - 1), 6),
                "success": True, "reason": "found %d in %d turns" % (secret, k)}
    elif req.get("final"):
        done = {"id": req["id"], "done": True, "reward": 0.0, "success": False,
                "reason": "not found in %d turns (%d)" % (k, secret)}
    if done is not None:
        if with_scores:
            done["turn_scores"] = turn_scores(guesses, secret, done["reward"])
        return done
    if guess is None or not LOW <= guess <= HIGH:
        return {"id": req["id"], "observation": "a number from %d to %d\n" % (LOW, HIGH)}
    return {"id": req["id"], "observation": "higher\n" if guess < secret else "lower\n"}


def main():
    with_scores = "--turn-scores" in sys.argv[1:]
    print("guess env ready", file=sys.stderr, flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            out = reply(req, with_scores)
        except (KeyError, TypeError, ValueError) as e:
            out = {"id": req.get("id"), "error": "cannot play this request: %r" % e}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
