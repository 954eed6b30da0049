#!/usr/bin/env python3
"""An environment program for tests, speaking grpo4j's environment protocol (JSON Lines).

A row whose metadata has "mode": "hang", "crash" or "garbage" misbehaves so at its second model
turn (to test training runs). Otherwise, after each model turn it answers by the latest turn's text:
  contains "crash"   -> write 'boom' to stderr and exit 3
  contains "hang"    -> never answer (keeps reading)
  contains "garbage" -> write a line that is not JSON
  contains "error"   -> {"id", "error": "cannot judge"}
  contains "stray"   -> also answer an id nobody asked for
  contains "done"    -> done, reward = number of model turns, turn_scores 0.1, 0.2, ...
otherwise, or on "final": true, an observation "obs<k>" (k = model turns so far), or on a final
request done with reward -1. Mode argv[1] == "dead": exit 1 at once with a message on stderr.
"""
import json
import sys

if len(sys.argv) > 1 and sys.argv[1] == "dead":
    print("cannot load the game", file=sys.stderr, flush=True)
    sys.exit(1)

print("fake env ready", file=sys.stderr, flush=True)


def answer(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    req = json.loads(line)
    turns = req["turns"]
    latest = turns[-1]["content"]
    k = sum(1 for t in turns if t["role"] == "assistant")
    mode = req["metadata"].get("mode") if isinstance(req["metadata"], dict) else None
    if mode and k == 2:
        latest = mode
    if req.get("final"):
        answer({"id": req["id"], "done": True, "reward": -1.0, "success": False,
                "reason": "final after %d turns; answer=%s" % (k, json.dumps(req["answer"]))})
    elif "crash" in latest:
        print("boom", file=sys.stderr, flush=True)
        sys.exit(3)
    elif "hang" in latest:
        continue
    elif "garbage" in latest:
        sys.stdout.write("this is not json\n")
        sys.stdout.flush()
    elif "error" in latest:
        answer({"id": req["id"], "error": "cannot judge"})
    elif "done" in latest:
        if "stray" in latest:
            answer({"id": "nobody", "observation": "x"})
        answer({"id": req["id"], "done": True, "reward": float(k), "success": True,
                "turn_scores": [0.1 * (i + 1) for i in range(k)],
                "reason": "tools=%s meta=%s" % (json.dumps(turns[-1].get("tool_calls", [])),
                                                json.dumps(req["metadata"]))})
    else:
        answer({"id": req["id"], "observation": "obs%d" % k})
