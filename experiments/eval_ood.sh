#!/usr/bin/env bash
# The model on our own out-of-distribution dev set (data/ood, written by hand; data/ood/README.md):
# the tune part (val split, settings may be chosen on it) and the frozen report part (test split,
# scored once per final model), greedy and execution-guided, through `predict` + `eval`; the guided
# reports also carry the "Not sure" rate on the questions outside the sketch
# (experiments/ood/abstain.py).
# Usage: experiments/eval_ood.sh [BINARY] [MODEL_DIR] [NAME] [PARTS]
#   (defaults target/release/sqlcoder, models/sqlcoder-lora, shipped, "tune" →
#    results/ood_PART_NAME_{greedy,guided}.{json,txt}); PARTS "tune report" adds the frozen
#   report part: only for a final model, once.
set -euo pipefail
bin=${1:-target/release/sqlcoder}
model=${2:-models/sqlcoder-lora}
name=${3:-shipped}
parts=${4:-tune}
out=experiments/results
preds=runs/${name}_ood_pred
mkdir -p "$preds"
[ -f data/ood/dataset_files/val.jsonl ] || "$bin" data prepare --source data/ood/source --out data/ood
for part in $parts; do
  case $part in
    tune) split=val; outside=data/ood/source/dev.outside.jsonl ;;
    report) split=test; outside=data/ood/source/test.outside.jsonl ;;
  esac
  for mode in greedy guided; do
    flags=()
    [ "$mode" = greedy ] && flags=(--no-guided)
    "$bin" predict --data data/ood --model "$model" --split "$split" "${flags[@]}" \
      --out "$preds/$split.$mode.jsonl" 2>&1 | tail -1
    report=$out/ood_${part}_${name}_${mode}.json
    "$bin" eval --data data/ood --split "$split" --pred "$preds/$split.$mode.jsonl" --out "$report" \
      >"${report%.json}.txt"
  done
  python3 experiments/ood/abstain.py "$bin" "$model" "data/ood/db_files/$split.db" "$outside" \
    "$out/ood_${part}_${name}_guided.json"
done
