#!/usr/bin/env bash
# A model with the family heads, scored as REPORT §10 reports it. With PART "tune" (default):
#  1. the tune part of our own questions, no abstain threshold (family_tune_NAME-uncalibrated);
#  2. per-shape thresholds chosen on it (calibrate.py writes them into MODEL/decoding.json);
#  3. the tune part again, calibrated (family_tune_NAME), and with every rule off
#     (family_tune_NAME-rules-off: greedy, every answer taken);
#  4. WikiSQL val, guided (family_NAME_val_guided; `predict` says how many answers go beyond the
#     sketch, saved beside as family_NAME_val_guided.predict.txt);
#  5. the in-sketch questions of the tune part (experiments/eval_ood.sh: ood_tune_NAME_*).
# With PART "report", once per final model: the report part's family and outside questions
# (family_report_NAME), its in-sketch questions (ood_report_NAME_*) and WikiSQL test, guided.
# MODEL starts with the shipped model's guidance settings (its decoding.json) when it has none.
#   experiments/family/evaluate.sh BIN MODEL NAME [tune|report]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$1 model=$2 name=$3 part=${4:-tune}
out=experiments/results
[ -f "$model/decoding.json" ] || cp models/sqlcoder-lora/decoding.json "$model/"
wikisql() {
  local split=$1
  "$bin" predict --model "$model" --split "$split" --out "runs/family_${name}_$split.guided.jsonl" \
    2>&1 | tail -2 > "$out/family_${name}_${split}_guided.predict.txt"
  "$bin" eval --split "$split" --pred "runs/family_${name}_$split.guided.jsonl" \
    --out "$out/family_${name}_${split}_guided.json" > "$out/family_${name}_${split}_guided.txt"
  cat "$out/family_${name}_${split}_guided.predict.txt" "$out/family_${name}_${split}_guided.txt"
}
case $part in
  tune)
    python3 - "$model/decoding.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d.pop("abstain_below_shape", None)
json.dump(d, open(sys.argv[1], "w"), indent=2); open(sys.argv[1], "a").write("\n")
PY
    python3 experiments/family/score_model.py "$bin" "$model" tune "$name-uncalibrated" > /dev/null
    python3 experiments/family/calibrate.py "$name-uncalibrated" "$model"
    python3 experiments/family/score_model.py "$bin" "$model" tune "$name"
    python3 experiments/family/score_model.py "$bin" "$model" tune "$name-rules-off" rules-off \
      > /dev/null
    wikisql val
    experiments/eval_ood.sh "$bin" "$model" "$name" tune
    ;;
  report)
    python3 experiments/family/score_model.py "$bin" "$model" report "$name"
    wikisql test
    experiments/eval_ood.sh "$bin" "$model" "$name" report
    ;;
esac
