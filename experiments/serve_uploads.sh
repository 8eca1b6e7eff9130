#!/usr/bin/env bash
# Uploads against asks and memory on `sqlcoder serve --workers 2` (docs/uploads.md): the shipped
# model on data/sample, loopback. RUNS times (default 3) a fresh server: idle memory after one
# answered question, 48 concurrent 2 MB uploads, then 60 uploads while 16 clients ask 50 questions
# each, and the peak resident memory (VmHWM) over the run (examples/upload_probe.rs). Writes each
# run and their medians with the goals checked to experiments/results/serve_uploads${TAG}.json,
# with the load average before each run (the machine is shared).
# Usage: experiments/serve_uploads.sh [RUNS]
#   SQLCODER_BIN=/path/to/sqlcoder TAG=_before experiments/serve_uploads.sh   # another build
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
tag=${TAG:-}
target=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet --bin sqlcoder --example upload_probe
bin=${SQLCODER_BIN:-$target/release/sqlcoder}
probe="$target/release/examples/upload_probe"
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
for run in $(seq "$runs"); do
  log="$work/serve_$run.log"
  "$bin" serve --port 0 --workers 2 --data data/sample 2> "$log" &
  server=$!
  addr=
  for _ in $(seq 300); do
    addr=$(grep -o 'http://[^/]*' "$log" | head -1 | sed 's|http://||') || true
    [ -n "$addr" ] && break
    sleep 0.2
  done
  [ -n "$addr" ] || { cat "$log"; exit 1; }
  before=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "run $run: load average before $before"
  "$probe" run "$addr" "$server" data/sample/dataset_files/val.jsonl "$work/run_$run.json"
  # The load average before the run, beside the one the probe took after it.
  sed -i "1a\\  \"load_average_before\": \"$before\"," "$work/run_$run.json"
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=
done
"$probe" summary "experiments/results/serve_uploads$tag.json" "$work"/run_*.json
