#!/usr/bin/env python3
"""A reward program for tests, speaking grpo4j's JSON Lines protocol.

Mode (argv[1]):
  len      reward = number of characters of the completion; prefix_scores [[k, k/10]] for each
           k in 0..len in steps of 2; completions with special words misbehave:
             "crash"   -> write 'boom' to stderr and exit 3
             "hang"    -> never answer
             "garbage" -> write a non-JSON line
             "stray"   -> also answer an id nobody asked for
             "error"   -> answer {"id", "error"}
  reverse N  read N requests, then answer them in reverse order (reward = 1)
  dead     write 'cannot load model' to stderr and exit 1 at once
"""
import json
import sys
import time

mode = sys.argv[1]
if mode == "dead":
    print("cannot load model", file=sys.stderr, flush=True)
    sys.exit(1)

print("fake reward ready", file=sys.stderr, flush=True)


def answer(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


if mode == "reverse":
    n = int(sys.argv[2])
    while True:
        reqs = []
        for _ in range(n):
            line = sys.stdin.readline()
            if not line:
                sys.exit(0)
            reqs.append(json.loads(line))
        for r in reversed(reqs):
            answer({"id": r["id"], "reward": 1.0})

for line in sys.stdin:
    r = json.loads(line)
    c = r["completion"]
    if "crash" in c:
        print("boom", file=sys.stderr, flush=True)
        sys.exit(3)
    if "hang" in c:
        time.sleep(3600)
    if "garbage" in c:
        sys.stdout.write("this is not json\n")
        sys.stdout.flush()
        continue
    if "stray" in c:
        answer({"id": "nobody-asked", "reward": 5.0})
    if "error" in c:
        answer({"id": r["id"], "error": "cannot judge this"})
        continue
    n = len(c)
    answer({
        "id": r["id"],
        "reward": float(n),
        "prefix_scores": [[k, k / 10] for k in range(0, n + 1, 2)],
        "reason": "answer=%s meta=%s" % (json.dumps(r["answer"]), json.dumps(r["metadata"])),
    })
