#!/usr/bin/env python3
"""A grpo4j reward program (JSON Lines on stdin/stdout; see docs/tasks.md).

For the arithmetic word problems of examples/arithmetic: reward 1.0 when the number inside
<answer>...</answer> equals the row's answer, else 0. It also reports prefix scores, so grpo4j can
credit tokens: a first line "a op b = c" that is true arithmetic earns 0.25 as soon as its newline
is written, and keeps it if the answer is wrong.
"""
import json
import re
import sys

WORK = re.compile(r"\s*(\d+)\s*([-+*])\s*(\d+)\s*=\s*(\d+)\n")
ANSWER = re.compile(r"<answer>\s*(-?\d+)\s*</answer>")


def judge(request):
    completion = request["completion"]
    reward, prefix_scores = 0.0, [[0, 0.0]]
    m = WORK.match(completion)
    if m:
        a, op, b, c = int(m[1]), m[2], int(m[3]), int(m[4])
        if {"+": a + b, "-": a - b, "*": a * b}[op] == c:
            reward = 0.25
            prefix_scores.append([m.end(), 0.25])  # offsets count characters, like len() in Python
    found = ANSWER.search(completion)
    solved = found is not None and int(found[1]) == int(request["answer"])
    if solved:
        reward = 1.0
        prefix_scores.append([found.end(), 1.0])
    return {"id": request["id"], "reward": reward, "success": solved,
            "prefix_scores": prefix_scores}


print("reward.py: ready", file=sys.stderr, flush=True)  # stderr lines go to grpo4j's log
for line in sys.stdin:
    request = json.loads(line)
    try:
        response = judge(request)
    except Exception as e:  # a row we cannot judge: say so instead of guessing a reward
        response = {"id": request["id"], "error": repr(e)}
    print(json.dumps(response), flush=True)
