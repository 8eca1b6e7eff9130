#!/usr/bin/env bash
# Val and test accuracy of the shipped model, greedy and execution-guided (REPORT.md §4).
# Usage: experiments/eval_shipped.sh [BINARY]   (default target/release/sqlcoder)
set -euo pipefail
bin=${1:-target/release/sqlcoder}
out=experiments/results
tmp=$(mktemp -d)
for split in val test; do
  for mode in greedy guided; do
    flag=""; [ "$mode" = guided ] && flag="--guided"
    "$bin" predict --split "$split" $flag --out "$tmp/$split.$mode.jsonl" 2>&1 | tail -1
    "$bin" eval --split "$split" --pred "$tmp/$split.$mode.jsonl" --out "$out/shipped_${split}_${mode}.json" > "$out/shipped_${split}_${mode}.txt"
  done
done
rm -rf "$tmp"
