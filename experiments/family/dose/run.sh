#!/usr/bin/env bash
# The dose ablation (REPORT §10): all of the generated questions against a quarter of them, the
# same 3,835 steps, two seeds each. The arm "full-seed42" is the main run (experiments/family/
# train.sh, runs/family); the others train here, one after another, niced and resumable (run it
# again after an interruption). Each arm's final model is scored on the tune part of our own
# questions (experiments/family/score_model.py) and on WikiSQL val, guided (`predict` + `eval`,
# the shipped model's decoding settings), then summary.py writes
# experiments/results/family_dose.{json,txt} (mean and spread per dose).
#
#   experiments/family/dose/run.sh [BIN] [ARM ...]     (default: every arm)
set -euo pipefail
cd "$(dirname "$0")/../../.."
bin=${1:-target/release/sqlcoder}
shift || true
arms=("$@")
[ ${#arms[@]} -gt 0 ] || arms=(full-seed42 full-seed7 quarter-seed42 quarter-seed7)
for arm in "${arms[@]}"; do
  if [ "$arm" = full-seed42 ]; then
    run=runs/family
    [ -d "$run/best" ] || experiments/family/train.sh "$bin"
  else
    run=runs/family-dose-$arm
    resume=()
    [ -d "$run/checkpoint" ] && resume=(--resume)
    [ -d "$run/last" ] || [ -d "$run/best" ] ||
      nice -n 10 "$bin" train --config "experiments/family/dose/$arm.toml" "${resume[@]}"
  fi
  # A run that ends at max_steps inside an epoch leaves last/; one that ends with its epoch, best/.
  model=$run/best
  [ -d "$run/last" ] && model=$run/last
  cp models/sqlcoder-lora/decoding.json "$model/"
  [ -f "runs/family_tune_dose-$arm.eval.json" ] ||
    python3 experiments/family/score_model.py "$bin" "$model" tune "dose-$arm" > /dev/null
  out=experiments/results/family_dose_${arm}_val_guided
  if [ ! -f "$out.json" ]; then
    "$bin" predict --model "$model" --split val --out "$run/val.guided.jsonl" 2>&1 | tail -2
    "$bin" eval --split val --pred "$run/val.guided.jsonl" --out "$out.json" > "$out.txt"
  fi
done
python3 experiments/family/dose/summary.py
