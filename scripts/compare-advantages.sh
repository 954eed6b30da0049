#!/usr/bin/env bash
# Compares the three advantage modes on the same seed, start model and wall-time budget:
# one GRPO run per mode, then a greedy held-out evaluation of each against the start model.
#   scripts/compare-advantages.sh [OUT_DIR] [BUDGET_MINUTES] [extra --set overrides...]
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
out=${1:-runs/compare-advantages}
budget=${2:-10}
shift $(( $# > 2 ? 2 : $# ))
start=$(sed -n 's/^  init: *\([^ #]*\).*/\1/p' "$root/configs/countdown-tiny.yaml" | head -n1)
mkdir -p "$out"
for mode in token_relative sequence return_to_go; do
  "$root/grpo4j" train --config "$root/configs/countdown-tiny.yaml" --out "$out/$mode" \
    --set rl.advantage.mode=$mode --set train.budget_minutes="$budget" --set train.eval_every=0 "$@"
  last=$(ls -d "$out/$mode"/checkpoints/step-* | sort -t- -k2 -n | tail -n1)
  "$root/grpo4j" eval --config "$root/configs/countdown-tiny.yaml" --model "$last" --ref "$start" --json "$out/$mode.eval.json"
done
"$root/grpo4j" eval --config "$root/configs/countdown-tiny.yaml" --model "$start" --json "$out/start.eval.json"
echo
printf '%-16s %8s %9s %8s %8s %6s\n' mode success reward/p kl_fwd kl_rev steps
for f in start token_relative sequence return_to_go; do
  steps=$( [ "$f" = start ] && echo 0 || (tail -n1 "$out/$f/metrics.jsonl" | sed 's/.*"step":\([0-9]*\).*/\1/'))
  sed -e 's/[{}"]//g' "$out/$f.eval.json" | tr ',' '\n' | awk -F: -v name="$f" -v steps="$steps" '
    {gsub(/ /,"",$1); v[$1]=$2}
    END {printf "%-16s %7.1f%% %9.3f %8s %8s %6s\n", name, 100*v["successRate"], v["rewardPerPrompt"], v["klForward"], v["klReverse"], steps}'
done
