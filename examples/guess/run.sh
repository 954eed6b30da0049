#!/usr/bin/env bash
# Example 4, one command from the repository root: examples/guess/run.sh
# A multi-turn environment (docs/environments.md): the shipped tiny SFT model plays a guessing
# game against examples/guess/env.py. Makes the data, evaluates the SFT start on the 31 held-out
# episodes (every number once: greedy, then 8 sampled episodes each), trains GRPO for 150 steps
# of 16 numbers x 8 episodes on the expected reward (guess.yaml), evaluates again. The evaluations
# play the plain game (env.py without --expected-reward), so their reward column is the game's.
#   examples/guess/run.sh --sft   first remakes models/guess-tiny-sft (done anyway when it is
#                                 missing): SFT from the tiny preset on the transcripts (seed 0,
#                                 200 steps), exported as bf16
# Extra arguments go to every grpo4j command (e.g. --set model.threads=1).
set -euo pipefail
cd "$(dirname "$0")/../.."
cfg=examples/guess/guess.yaml
python3 examples/guess/make_data.py runs/examples/guess/data
sft=0
if [ "${1:-}" = "--sft" ]; then sft=1; shift; fi
if [ $sft = 1 ] || [ ! -f models/guess-tiny-sft/model.safetensors ]; then
  rm -rf runs/examples/guess/sft
  ./grpo4j sft --config "$cfg" --out runs/examples/guess/sft --set model.init=null "$@"
  ./grpo4j export --model runs/examples/guess/sft/checkpoints/step-200 --out models/guess-tiny-sft --dtype bf16
fi
game=(--set "env.command=python3 examples/guess/env.py")
for k in 0 8; do
  ./grpo4j eval --config "$cfg" --model models/guess-tiny-sft --data runs/examples/guess/data/test.jsonl \
    --samples $k "${game[@]}" "$@"
done
rm -rf runs/examples/guess/grpo
./grpo4j train --config "$cfg" --out runs/examples/guess/grpo "$@"
for k in 0 8; do
  ./grpo4j eval --config "$cfg" --model runs/examples/guess/grpo/checkpoints/step-150 \
    --ref models/guess-tiny-sft --data runs/examples/guess/data/test.jsonl --samples $k "${game[@]}" "$@"
done
