#!/usr/bin/env bash
# Portable SQL against today's, on val and test with the shipped model's default (guided)
# decoding: `predict` (whose guidance now runs the portable SQL), then examples/portable_sql.rs
# compares, per question, the rows of the portable SQL with those of the same query under the
# official engine's Unicode folding (sqlcoder_fold, what ran and was shown before), and with the
# rows of the predictions made before the change (BEFORE, default runs/shipped_pred).
# Results: experiments/results/portable_sql_{val,test}.json (+ .txt).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-target}
BEFORE=${BEFORE:-runs/shipped_pred}
cargo build --release --bin sqlcoder --example portable_sql
mkdir -p runs/portable_sql experiments/results
for split in val test; do
  "$TARGET/release/sqlcoder" predict --split "$split" --out "runs/portable_sql/$split.guided.jsonl"
  "$TARGET/release/examples/portable_sql" data "$split" "runs/portable_sql/$split.guided.jsonl" \
    "$BEFORE/$split.guided.jsonl" "experiments/results/portable_sql_$split.json" \
    | tee "experiments/results/portable_sql_$split.txt"
done
