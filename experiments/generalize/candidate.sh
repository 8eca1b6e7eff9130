#!/usr/bin/env bash
# A model's decoding chosen on WikiSQL val and the OOD tune part together, and its scores there:
# the numbers that decide whether a candidate replaces the shipped model (test and the OOD report
# part are not read). Every guidance variant is scored on both (`sqlcoder tune`), the best sum of
# both splits' LF + EX is written to MODEL_DIR/decoding.json (experiments/ood/choose_decoding.py),
# and the OOD tune part is scored with it (experiments/eval_ood.sh).
#
#   experiments/generalize/candidate.sh MODEL_DIR NAME
#
# → results/tune_{val,ood}_NAME.{json,txt}, results/ood_tune_NAME_{greedy,guided}.{json,txt};
#   the chosen decoding and its val / OOD tune scores are printed.
set -euo pipefail
cd "$(dirname "$0")/../.."
model=$1
name=$2
bin=${BIN:-target/release/sqlcoder}
out=experiments/results
"$bin" tune --split val --model "$model" --out "$out/tune_val_$name.json" 2>"$out/tune_val_$name.txt"
"$bin" tune --data data/ood --split val --model "$model" --out "$out/tune_ood_$name.json" \
  2>"$out/tune_ood_$name.txt"
python3 experiments/ood/choose_decoding.py "$out/tune_val_$name.json" "$out/tune_ood_$name.json" "$model"
experiments/eval_ood.sh "$bin" "$model" "$name" tune
