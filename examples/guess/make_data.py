#!/usr/bin/env python3
"""The guessing game's datasets: python3 examples/guess/make_data.py OUT_DIR [--seed 0].

train.jsonl: 4,000 episodes, the number uniform in 1..31, each with an SFT transcript in
`completion`: a player that guesses uniformly at random inside the range the answers so far
allow ("higher" after 16 -> 17..31), for at most 5 turns, written as the environment would
answer (examples/guess/env.py). That player finds the number within 5 turns about half of the
time; bisection (16, then the middle of what is left) always does.
test.jsonl: the 31 numbers, one episode each: held-out play, greedy, covers every number once.
"""
import argparse
import json
import os
import random

LOW, HIGH, TURNS = 1, 31, 5
PROMPT = "Guess my number (1-31).\n"


def transcript(secret, rng):
    lo, hi, out = LOW, HIGH, []
    for k in range(TURNS):
        guess = rng.randint(lo, hi)
        out.append("%d\n" % guess)
        if guess == secret:
            break
        if k == TURNS - 1:
            break
        if guess < secret:
            out.append("higher\n")
            lo = guess + 1
        else:
            out.append("lower\n")
            hi = guess - 1
    return "".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--train", type=int, default=4000)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "train.jsonl"), "w") as f:
        for i in range(a.train):
            secret = rng.randint(LOW, HIGH)
            row = {"id": "train-%d" % i, "prompt": PROMPT, "answer": secret,
                   "completion": transcript(secret, rng)}
            f.write(json.dumps(row) + "\n")
    with open(os.path.join(a.out, "test.jsonl"), "w") as f:
        for secret in range(LOW, HIGH + 1):
            f.write(json.dumps({"id": "test-%d" % secret, "prompt": PROMPT, "answer": secret}) + "\n")


if __name__ == "__main__":
    main()
