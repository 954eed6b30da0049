#!/usr/bin/env python3
"""Writes arithmetic word problems as JSONL: train.jsonl and test.jsonl in the given folder.

Each row: {"id", "prompt", "answer", "completion", "op"}; "completion" is a worked answer for SFT,
e.g. "3+5=8\n<answer>8</answer>". Deterministic for a seed; the test rows are disjoint from train.

    python3 make_data.py OUT_DIR [--train 3000] [--test 200] [--seed 0]
"""
import argparse
import json
import os
import random

NAMES = ["Ann", "Bob", "Cid", "Dee", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jo"]
ITEMS = ["apple", "book", "coin", "egg", "pen", "shell", "stamp", "toy"]


def problem(rng):
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    kind = rng.choice(["add", "sub", "mul"])
    if kind == "add":
        a, b = rng.randint(1, 20), rng.randint(1, 20)
        text = f"{name} has {a} {item}s and gets {b} more. How many {item}s now?"
        work, c = f"{a}+{b}={a + b}", a + b
    elif kind == "sub":
        a = rng.randint(2, 20)
        b = rng.randint(1, a - 1)
        text = f"{name} has {a} {item}s and gives {b} away. How many {item}s now?"
        work, c = f"{a}-{b}={a - b}", a - b
    else:
        a, b = rng.randint(2, 9), rng.randint(2, 9)
        text = f"{name} has {a} bags with {b} {item}s each. How many {item}s in all?"
        work, c = f"{a}*{b}={a * b}", a * b
    return {"prompt": text, "answer": c, "completion": f"{work}\n<answer>{c}</answer>", "op": kind}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--train", type=int, default=3000)
    ap.add_argument("--test", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    rows, seen = [], set()
    while len(rows) < args.train + args.test:
        p = problem(rng)
        if p["prompt"] in seen:
            continue
        seen.add(p["prompt"])
        p["id"] = f"wp-{len(rows)}"
        rows.append(p)
    os.makedirs(args.out, exist_ok=True)
    for name, part in [("test.jsonl", rows[: args.test]), ("train.jsonl", rows[args.test :])]:
        with open(os.path.join(args.out, name), "w") as f:
            for r in part:
                f.write(json.dumps(r) + "\n")
    print(f"wrote {args.train} train and {args.test} test rows to {args.out}")


if __name__ == "__main__":
    main()
