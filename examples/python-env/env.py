#!/usr/bin/env python3
"""A grpo4j environment with a calculator tool, written from docs/environments.md.

Each row of the dataset is an arithmetic question whose `answer` is an integer. In every turn the
model may call the tool, Qwen style:

    <tool_call>{"name": "calc", "arguments": {"expression": "37*41"}}</tool_call>

and gets the result back as a `tool` message; or it answers with <answer>1522</answer>, which
ends the episode: reward 1 when right, 0 when wrong. A turn that does neither gets a short `user`
reminder. The final request (grpo4j sends "final": true after env.max_turns turns) is judged the
same way and always ends the episode. Each request carries the whole episode, so there is no state.
The tool evaluates + - * / and parentheses on integers only (Python's ast, never eval).
"""
import ast
import json
import operator
import re
import sys

OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
       ast.FloorDiv: operator.floordiv, ast.Div: operator.floordiv}
ANSWER = re.compile(r"<answer>\s*(-?\d+)\s*</answer>")


def calc(expression):
    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in OPS:
            right = ev(node.right)
            if type(node.op) in (ast.Div, ast.FloorDiv) and right == 0:
                raise ValueError("division by zero")
            return OPS[type(node.op)](ev(node.left), right)
        raise ValueError("only integers, + - * / and parentheses")
    if len(expression) > 100:
        raise ValueError("expression too long")
    return ev(ast.parse(expression, mode="eval"))


def reply(req):
    turn = req["turns"][-1]
    turns = sum(1 for t in req["turns"] if t["role"] == "assistant")
    found = ANSWER.findall(turn["content"])
    if found or req.get("final"):
        right = bool(found) and int(found[-1]) == int(req["answer"])
        return {"id": req["id"], "done": True, "reward": 1.0 if right else 0.0, "success": right,
                "reason": ("answered %s" % found[-1] if found else "no answer") +
                          " after %d turns, %d tool calls" % (turns, tool_calls(req))}
    calls = turn.get("tool_calls", [])
    if calls:
        results = []
        for c in calls:
            if c["name"] != "calc":
                results.append("unknown tool %s" % c["name"])
                continue
            try:
                results.append(str(calc(str(c["arguments"].get("expression", "")))))
            except (ValueError, SyntaxError, RecursionError) as e:
                results.append("error: %s" % e)
        return {"id": req["id"], "observation": "\n".join(results), "role": "tool"}
    return {"id": req["id"], "observation": "Call calc or answer inside <answer></answer>.",
            "role": "user"}


def tool_calls(req):
    return sum(len(t.get("tool_calls", [])) for t in req["turns"] if t["role"] == "assistant")


print("calculator env ready", file=sys.stderr, flush=True)
for line in sys.stdin:
    if line.strip():
        req = json.loads(line)
        print(json.dumps(reply(req)), flush=True)
