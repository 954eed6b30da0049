#!/usr/bin/env bash
# Crash safety, end to end: starts a short GRPO run on the shipped tiny model, kills it with
# SIGKILL at a random moment, audits the run folder, resumes it, and repeats N times (default 10);
# then lets the run finish and audits it once more. Exit status 0 only if every audit passed:
#   - every checkpoints/step-N folder verifies against its SHA-256 manifest and loads (weights and
#     optimizer state), or does not exist; only hidden .tmp-* folders may be unfinished;
#   - metrics.jsonl holds steps 1, 2, ... each exactly once (a torn last line is allowed right
#     after a kill, never after a resume);
#   - samples.jsonl holds the samples of exactly the logged steps; config.yaml parses;
#   - at the end: the final step is reached and checkpointed.
# The audit is 'grpo4j check-run' (grpo4j-cli/src/main/java/io/grpo4j/audit/RunCheck.java).
#
# A quarter of the kills land at a random moment of start-up; the others wait for the run's next
# metrics row and then kill after a random 0..CRASH_MAX_DELAY seconds (amid rollouts, updates,
# checkpoint saves and log writes: every step saves).
#
# With CRASH_RANKS=2 (or more) the run is data-parallel: 'grpo4j launch --nproc 2 -- train ...', and
# each kill is a SIGKILL to one randomly chosen rank; the launcher must then stop the other rank and
# exit, and the resume (again through 'launch') continues the run (docs/distributed.md).
#
# usage: scripts/crash-test.sh [N]      env: CRASH_RANKS (default 1), CRASH_STEPS (default 20 x N + 24: enough that every kill lands in a live run), CRASH_MAX_DELAY seconds
#        (default 6), CRASH_SEED (bash RANDOM seed), CRASH_KEEP=1 keeps the work folder, CRASH_SET (more
#        settings, e.g. CRASH_SET="model.lora.r=8 train.lr=1e-3" for a LoRA run), CRASH_GRPO4J (the
#        command that starts grpo4j; default the checkout's ./grpo4j).
set -uo pipefail
n=${1:-10}
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
# Steps take ~0.3 s on the tiny settings, and a kill lands up to CRASH_MAX_DELAY s after a step: 24
# steps let the run finish after 5 of 20 kills, so the length scales with N.
steps=${CRASH_STEPS:-$((20 * n + 24))}
max_delay=${CRASH_MAX_DELAY:-6}
RANDOM=${CRASH_SEED:-$$}
work=$(mktemp -d "${TMPDIR:-/tmp}/grpo4j-crash.XXXXXX")
run="$work/run"
read -r -a g <<< "${CRASH_GRPO4J:-$root/grpo4j}"
ranks=${CRASH_RANKS:-1}
settings=(--set train.steps="$steps" --set train.save_every=1 --set train.eval_every=4 --set train.samples_per_step=2
  --set data.prompts_per_step=$((2 * ranks)) --set rl.group_size=2 --set sampling.max_new_tokens=12 --set data.eval_size=2)
for kv in ${CRASH_SET:-}; do settings+=(--set "$kv"); done

cleanup() { [ "${CRASH_KEEP:-0}" = 1 ] && echo "work folder kept: $work" || rm -rf "$work"; }
trap cleanup EXIT

echo "crash-test: $n kills, $steps GRPO steps (save_every 1, $ranks rank(s)${CRASH_SET:+, $CRASH_SET}) on models/countdown-tiny-sft; work folder $work"
"${g[@]}" --version >/dev/null || { echo "crash-test: build failed"; exit 1; }

launch=()
[ "$ranks" -gt 1 ] && launch=(launch --nproc "$ranks" --)
start() { # runs in the background; the launcher execs java, so $! is the JVM (or the 'launch' JVM)
  if [ -f "$run/config.yaml" ]; then
    "${g[@]}" "${launch[@]}" train --resume "$run" >>"$work/train.log" 2>&1 &
  else
    rm -rf "$run" # killed before the run folder was set up: start it again
    "${g[@]}" "${launch[@]}" train --init "$root/models/countdown-tiny-sft" --out "$run" "${settings[@]}" >>"$work/train.log" 2>&1 &
  fi
  pid=$!
}

# The process to SIGKILL: the training JVM, or with several ranks one of the launcher's rank JVMs
# (waiting up to 10 s for them to be started); prints nothing when there is none.
victim() {
  if [ "$ranks" -le 1 ]; then echo "$pid"; return; fi
  local kids
  for ((k = 0; k < 50; k++)); do
    kids=($(pgrep -P "$pid" 2>/dev/null))
    [ "${#kids[@]}" -ge "$ranks" ] && break
    kill -0 "$pid" 2>/dev/null || return
    sleep 0.2
  done
  [ "${#kids[@]}" -gt 0 ] && echo "${kids[$((RANDOM % ${#kids[@]}))]}"
}

failures=0
audit() { # $1 = label, $2.. = extra flags
  local label=$1; shift
  if out=$("${g[@]}" check-run "$run" --quiet "$@" 2>&1); then
    echo "  audit after $label: ok"
  else
    echo "  audit after $label: FAILED"; echo "$out" | sed 's/^/    /'; failures=$((failures + 1))
  fi
}

rows() { local c; c=$(grep -c . "$run/metrics.jsonl" 2>/dev/null); echo "${c:-0}"; }
uniform() { awk -v r=$RANDOM -v lo="$1" -v hi="$2" 'BEGIN { printf "%.2f", lo + (hi - lo) * r / 32767 }'; }

kills=0
for ((i = 1; i <= n; i++)); do
  before=$(rows)
  start
  t0=$(date +%s.%N)
  if [ $((RANDOM % 4)) -eq 0 ]; then
    phase="during start-up"; sleep "$(uniform 0.5 6)"
  else
    # wait for the next metrics row, so that the kill lands among steps, saves and log writes
    phase="during training"
    for ((w = 0; w < 600 && $(rows) <= before; w++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    sleep "$(uniform 0 "$max_delay")"
  fi
  delay=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  target=$(victim)
  if [ -n "$target" ] && kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$target"; wait "$pid" 2>/dev/null
    kills=$((kills + 1))
    [ "$target" != "$pid" ] && phase="$phase (rank process $target)"
    last=$(tail -c 2000 "$run/metrics.jsonl" 2>/dev/null | grep -o '"step":[0-9]*' | tail -1 | cut -d: -f2)
    echo "kill $i: SIGKILL $phase, ${delay}s after start (metrics at step ${last:-0}; checkpoints/: $(ls -A "$run/checkpoints" 2>/dev/null | tr '\n' ' '))"
    if [ -d "$run" ]; then audit "kill $i"; fi
  else
    wait "$pid"; rc=$?
    echo "kill $i: the run had already ended (exit $rc) after ${delay}s"
    [ $rc -ne 0 ] && { echo "  run failed:"; tail -5 "$work/train.log" | sed 's/^/    /'; failures=$((failures + 1)); }
  fi
done

echo "final: resuming to the end"
start
wait "$pid"; rc=$?
[ $rc -ne 0 ] && { echo "  final run failed (exit $rc):"; tail -5 "$work/train.log" | sed 's/^/    /'; failures=$((failures + 1)); }
echo "  train.log: $(grep -c '^\(\[rank [0-9]*\] \)\?resuming' "$work/train.log") resumes from a checkpoint, $(grep -c '^\(\[rank [0-9]*\] \)\?no complete checkpoint' "$work/train.log") restarts before the first checkpoint, $(grep -c 'refused' "$work/train.log") refused checkpoints"
audit "the final run" --finished
"${g[@]}" check-run "$run" --finished | grep -E "metrics|samples|step-$steps" | sed 's/^/  /'

echo "crash-test: $kills SIGKILLs, $failures failed audits or runs"
[ $failures -eq 0 ] && echo "crash-test: PASS" || echo "crash-test: FAIL"
[ $failures -eq 0 ]
