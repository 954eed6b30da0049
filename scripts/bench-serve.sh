#!/usr/bin/env bash
# Serving benchmark of the shipped tiny model, f32 and int8: 16 sequential vs 16 concurrent
# requests, then latency / TTFT / tokens/s at concurrency 1 and 16 (see docs/serving.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
model=${1:-$root/models/countdown-tiny-sft}
port=${PORT:-8790}
cd "$root"
./grpo4j --version >/dev/null   # build once, before any server runs from the jar
for quant in none int8; do
  args=(serve --model "$model" --port "$port")
  [ "$quant" = int8 ] && args+=(--quantize int8)
  ./grpo4j "${args[@]}" > "/tmp/grpo4j-bench-serve-$quant.log" 2>&1 &
  pid=$!
  for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 1; done
  echo "=== weights: $quant"
  grep -m1 'grpo4j serve:' "/tmp/grpo4j-bench-serve-$quant.log" || true
  for c in 1 16; do
    echo "--- 16 requests, concurrency $c, 64 tokens each (ignore_eos)"
    ./grpo4j bench-serve --url "http://127.0.0.1:$port" --concurrency $c --requests 16 --max-tokens 64 --ignore-eos
  done
  for c in 1 16; do
    echo "--- 48 requests, concurrency $c, Countdown answers (stop at end of sequence, max 48 tokens)"
    ./grpo4j bench-serve --url "http://127.0.0.1:$port" --concurrency $c --requests 48 --max-tokens 48
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
