#!/usr/bin/env bash
# Example 1, one command from the repository root: examples/arithmetic/run.sh
# Generates the word problems, teaches the tiny model the answer format by SFT on the
# `completion` field, evaluates it on the test file, then trains with GRPO against the
# built-in `math` matcher and evaluates again.
set -euo pipefail
cd "$(dirname "$0")/../.."
cfg=examples/arithmetic/arithmetic.yaml
python3 examples/arithmetic/make_data.py runs/examples/data
if [ ! -d runs/examples/sft/checkpoints/step-300 ]; then
  rm -rf runs/examples/sft
  ./grpo4j sft --config "$cfg" --out runs/examples/sft
fi
rm -rf runs/examples/arithmetic
./grpo4j train --config "$cfg" --out runs/examples/arithmetic --init runs/examples/sft/checkpoints/step-300
./grpo4j eval --config "$cfg" --model runs/examples/arithmetic/checkpoints/step-30 \
  --ref runs/examples/sft/checkpoints/step-300 --data runs/examples/data/test.jsonl
