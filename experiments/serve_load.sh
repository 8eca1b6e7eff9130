#!/usr/bin/env bash
# Load on `sqlcoder serve` (docs/serve.md, Load): the shipped model on data/sample, loopback.
# 1, 8 and 16 clients x ASKS asks of the sample's val questions (errors, p50/p95/max, requests/s),
# then 48 concurrent uploads of a 2 MB CSV and the server's peak RSS (VmHWM). Writes
# experiments/results/serve_load${TAG}.json and .txt (with the load average: the machine is shared).
# Usage: experiments/serve_load.sh [ASKS]
#   SQLCODER_BIN=/path/to/sqlcoder TAG=_before experiments/serve_load.sh   # another build
set -euo pipefail
cd "$(dirname "$0")/.."
asks=${1:-50}
tag=${TAG:-}
target=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet --bin sqlcoder --example serve_load
bin=${SQLCODER_BIN:-$target/release/sqlcoder}
load="$target/release/examples/serve_load"
work=$(mktemp -d)
log="$work/serve.log"
"$bin" serve --port 0 --data data/sample 2> "$log" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
addr=
for _ in $(seq 300); do
  addr=$(grep -o 'http://[^/]*' "$log" | head -1 | sed 's|http://||') || true
  [ -n "$addr" ] && break
  sleep 0.2
done
[ -n "$addr" ] || { cat "$log"; exit 1; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for clients in 1 8 16; do
  "$load" ask "$addr" "$clients" "$asks" data/sample/dataset_files/val.jsonl \
    "$work/ask_$clients.json" || true
done
"$load" upload "$addr" 48 "$server" "$work/upload.json"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
out=experiments/results/serve_load$tag
{
  echo "{"
  echo "  \"binary\": \"$bin\","
  echo "  \"cores\": $(nproc),"
  echo "  \"load_average_before\": \"$load_before\","
  echo "  \"load_average_after\": \"$load_after\","
  echo "  \"server\": \"$(grep -m1 'workers' "$log")\","
  for clients in 1 8 16; do
    echo "  \"asks_${clients}_clients\": $(cat "$work/ask_$clients.json"),"
  done
  echo "  \"uploads_48_concurrent\": $(cat "$work/upload.json")"
  echo "}"
} > "$out.json"
echo "cores: $(nproc); load average before: $load_before, after: $load_after; $(grep -m1 'workers' "$log")" \
  | tee "$out.txt"
