#!/usr/bin/env bash
# Example 2, one command from the repository root: examples/python-reward/run.sh
# The word problems of example 1 (same SFT start; made here if missing), trained with GRPO
# against a Python reward program that speaks JSON Lines (reward.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
cfg=examples/python-reward/python-reward.yaml
python3 examples/arithmetic/make_data.py runs/examples/data
if [ ! -d runs/examples/sft/checkpoints/step-300 ]; then
  rm -rf runs/examples/sft
  ./grpo4j sft --config "$cfg" --out runs/examples/sft
fi
rm -rf runs/examples/python-reward
./grpo4j train --config "$cfg" --out runs/examples/python-reward --init runs/examples/sft/checkpoints/step-300
./grpo4j eval --config "$cfg" --model runs/examples/python-reward/checkpoints/step-30 \
  --ref runs/examples/sft/checkpoints/step-300 --data runs/examples/data/test.jsonl
