#!/usr/bin/env bash
# Val and test accuracy of the shipped model: greedy, execution-guided, and execution-guided with
# value snapping (reads table cells), each through `predict` + `eval` (REPORT.md §4). Guided
# decoding uses the settings chosen on val in models/sqlcoder-lora/decoding.json
# (experiments/tune_shipped.sh writes it).
# Usage: experiments/eval_shipped.sh [BINARY]   (default target/release/sqlcoder)
set -euo pipefail
bin=${1:-target/release/sqlcoder}
out=experiments/results
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for split in val test; do
  for mode in greedy guided guided_snap; do
    case $mode in
      greedy) flags=(--no-guided) ;;
      guided) flags=() ;;
      guided_snap) flags=(--snap-values) ;;
    esac
    "$bin" predict --split "$split" "${flags[@]}" --out "$tmp/$split.$mode.jsonl" 2>&1 | tail -1
    "$bin" eval --split "$split" --pred "$tmp/$split.$mode.jsonl" --out "$out/shipped_${split}_${mode}.json" > "$out/shipped_${split}_${mode}.txt"
  done
done
