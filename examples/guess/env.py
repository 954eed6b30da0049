#!/usr/bin/env python3
"""The guessing game as a grpo4j environment (protocol: docs/environments.md).

The number to find is the row's `answer` (1..31). After each model turn grpo4j sends the episode
so far; the model's latest turn should be one number. The reply is an observation - "higher",
"lower", or a complaint about a turn that is not a number from 1 to 31 - or, when the guess is
right or the request is the final one, the end of the episode:

  reward = 1 - 0.1 * (turns - 1) when found (1.0 on the first guess, 0.6 on the fifth), else 0.

The reason says how the episode went. No state: every request carries the whole episode.
"""
import json
import sys

LOW, HIGH = 1, 31


def reply(req):
    turns = req["turns"]
    k = sum(1 for t in turns if t["role"] == "assistant")  # model turns so far
    secret = int(req["answer"])
    text = turns[-1]["content"].strip()
    guess = int(text) if text.isdigit() else None
    if guess == secret:
        return {"id": req["id"], "done": True, "reward": round(1.0 - 0.1 * (k - 1), 6),
                "success": True, "reason": "found %d in %d turns" % (secret, k)}
    if req.get("final"):
        return {"id": req["id"], "done": True, "reward": 0.0, "success": False,
                "reason": "not found in %d turns (%d)" % (k, secret)}
    if guess is None or not LOW <= guess <= HIGH:
        return {"id": req["id"], "observation": "a number from %d to %d\n" % (LOW, HIGH)}
    return {"id": req["id"], "observation": "higher\n" if guess < secret else "lower\n"}


print("guess env ready", file=sys.stderr, flush=True)
for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    try:
        out = reply(req)
    except (KeyError, TypeError, ValueError) as e:
        out = {"id": req.get("id"), "error": "cannot play this request: %r" % e}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
