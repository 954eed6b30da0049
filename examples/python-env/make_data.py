#!/usr/bin/env python3
"""Arithmetic questions for the calculator environment: make_data.py OUT_DIR [--seed 0]."""
import argparse
import json
import os
import random

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--rows", type=int, default=200)
a = ap.parse_args()
rng = random.Random(a.seed)
os.makedirs(a.out, exist_ok=True)
for name, n in (("train.jsonl", a.rows), ("test.jsonl", 50)):
    with open(os.path.join(a.out, name), "w") as f:
        for i in range(n):
            x, y, z = rng.randint(10, 99), rng.randint(10, 99), rng.randint(1, 9)
            expr = "%d*%d+%d" % (x, y, z)
            f.write(json.dumps({"id": "%s-%d" % (name[:-6], i), "prompt": "What is %s?" % expr,
                                "answer": x * y + z}) + "\n")
