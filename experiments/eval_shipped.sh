#!/usr/bin/env bash
# Val and test accuracy of the shipped model: greedy, execution-guided, and execution-guided with
# value snapping (reads table cells), each through `predict` + `eval` (REPORT.md §4). Guided
# decoding uses the settings chosen on val in the model's decoding.json
# (experiments/tune_shipped.sh writes it).
# Usage: experiments/eval_shipped.sh [BINARY] [MODEL_DIR] [NAME]
#   (defaults target/release/sqlcoder, models/sqlcoder-lora, shipped → results/shipped_*.json)
# The prediction files stay in runs/<NAME>_pred/ (experiments/error_analysis.py reads them).
set -euo pipefail
bin=${1:-target/release/sqlcoder}
model=${2:-models/sqlcoder-lora}
name=${3:-shipped}
out=experiments/results
preds=runs/${name}_pred
mkdir -p "$preds"
for split in val test; do
  for mode in greedy guided guided_snap; do
    case $mode in
      greedy) flags=(--no-guided) ;;
      guided) flags=() ;;
      guided_snap) flags=(--snap-values) ;;
    esac
    "$bin" predict --model "$model" --split "$split" "${flags[@]}" --out "$preds/$split.$mode.jsonl" 2>&1 | tail -1
    "$bin" eval --split "$split" --pred "$preds/$split.$mode.jsonl" --out "$out/${name}_${split}_${mode}.json" > "$out/${name}_${split}_${mode}.txt"
  done
done
