#!/usr/bin/env bash
# Load on `sqlcoder serve` (README's serve paragraph): the shipped model on data/sample, loopback,
# 16 clients x 50 asks of the sample's val questions; writes experiments/results/serve_load.json.
# Usage: experiments/serve_load.sh [CLIENTS] [ASKS]
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-16}
asks=${2:-50}
cargo build --release --quiet --bin sqlcoder --example serve_load
target=${CARGO_TARGET_DIR:-target}
log=$(mktemp)
"$target/release/sqlcoder" serve --port 0 --data data/sample 2> "$log" &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 300); do
  addr=$(grep -o 'http://[^/]*' "$log" | head -1 | sed 's|http://||') || true
  [ -n "$addr" ] && break
  sleep 0.2
done
[ -n "$addr" ] || { cat "$log"; exit 1; }
"$target/release/examples/serve_load" "$addr" "$clients" "$asks" \
  data/sample/dataset_files/val.jsonl experiments/results/serve_load.json
echo "cores: $(nproc); load average: $(cut -d' ' -f1-3 /proc/loadavg); $(grep 'workers' "$log")" \
  | tee experiments/results/serve_load.txt
