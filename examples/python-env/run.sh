#!/usr/bin/env bash
# Example 5, one command from the repository root: examples/python-env/run.sh
# The calculator environment (env.py, written from docs/environments.md alone) driving 3 GRPO steps
# of a randomly initialised tiny model: episodes, tool calls parsed for the program, tool answers
# rendered through the chat template, the metrics env/* in runs/examples/python-env/grpo/metrics.jsonl.
# A random model rarely calls the tool; this shows the plumbing, not learning (examples/guess learns).
set -euo pipefail
cd "$(dirname "$0")/../.."
cfg=examples/python-env/python-env.yaml
python3 examples/python-env/make_data.py runs/examples/python-env/data
[ -d runs/examples/python-env/init ] || ./grpo4j init-model --preset tiny --seed 0 --out runs/examples/python-env/init
rm -rf runs/examples/python-env/grpo
./grpo4j train --config "$cfg" --out runs/examples/python-env/grpo "$@"
