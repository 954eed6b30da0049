#!/usr/bin/env bash
# Native memory over a long GRPO run: STEPS (default 300) steps on the shipped tiny model with
# small settings, then the mem/* metrics every step logs (RSS, RSS minus the Java heap, JavaCPP's
# tracked bytes and pointers) are compared after WARMUP (default 50) steps. Exit 0 only when RSS
# and native bytes grew by less than MAX_GROWTH (default 0.05 = 5 %) and the run folder audits clean.
#
# usage: scripts/memory-test.sh [STEPS [WARMUP]]   env: MAX_GROWTH, MEMORY_KEEP=1 keeps the run folder
set -uo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
steps=${1:-300}
warmup=${2:-50}
work=$(mktemp -d "${TMPDIR:-/tmp}/grpo4j-memory.XXXXXX")
trap '[ "${MEMORY_KEEP:-0}" = 1 ] && echo "run folder kept: $work/run" || rm -rf "$work"' EXIT
g="$root/grpo4j"
echo "memory-test: $steps GRPO steps (warm-up $warmup) on models/countdown-tiny-sft, 1 thread; run folder $work/run"
start=$(date +%s)
"$g" train --init "$root/models/countdown-tiny-sft" --out "$work/run" \
  --set train.steps="$steps" --set train.save_every=50 --set train.eval_every=0 --set train.samples_per_step=1 \
  --set data.prompts_per_step=1 --set rl.group_size=2 --set sampling.max_new_tokens=8 --set data.eval_size=2 \
  --set model.threads=1 >"$work/train.log" 2>&1 || { echo "memory-test: training failed:"; tail -20 "$work/train.log"; exit 1; }
echo "memory-test: $steps steps in $(( $(date +%s) - start )) s (wall, on a shared machine)"
"$g" check-run "$work/run" --finished --quiet --memory-warmup "$warmup" --max-memory-growth "${MAX_GROWTH:-0.05}" --memory-table 10
rc=$?
[ $rc -eq 0 ] && echo "memory-test: PASS" || echo "memory-test: FAIL"
exit $rc
