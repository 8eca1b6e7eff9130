#!/usr/bin/env bash
# Ablation of the table-content features (issue 13): the default recipe with `model.content`
# off and on, each trained with several seeds on the same train subset for one epoch, scored
# on the same val subset (greedy LF/EX at the epoch end). Summary with mean ± std:
# results/ablation_content.{json,txt}.
#
#   experiments/ablation/run.sh [SEEDS] [TRAIN_LIMIT] [VAL_LIMIT]    (defaults 3 6000 2000)
#
# Runs go to runs/ablation/<arm>-s<seed>/ and are resumable: a finished run is skipped, a
# killed one continues from its checkpoint.
set -euo pipefail
cd "$(dirname "$0")/../.."
SEEDS=${1:-3}
TRAIN_LIMIT=${2:-6000}
VAL_LIMIT=${3:-2000}
BIN=${BIN:-target/release/sqlcoder}
OUT=runs/ablation
mkdir -p "$OUT"

for seed in $(seq 1 "$SEEDS"); do
  for arm in plain content; do
    name="$arm-s$seed"
    content=false
    [ "$arm" = content ] && content=true
    if grep -q '"kind":"epoch"' "$OUT/$name/metrics.jsonl" 2>/dev/null; then
      echo "$name: done"
      continue
    fi
    resume=()
    [ -f "$OUT/$name/checkpoint/state.json" ] && resume=(--resume)
    cat >"$OUT/$name.toml" <<TOML
name = "$name"
runs_dir = "$OUT"
epochs = 1
batch_size = 32
seed = $seed
train_limit = $TRAIN_LIMIT
val_limit = $VAL_LIMIT
checkpoint_every = 50

[model]
mode = "lora"
dropout = 0.1
content = $content

[optim]
lr_encoder = 1e-3
lr_heads = 1e-3
TOML
    echo "$name: training ($(date -u +%H:%M))"
    "$BIN" train --backend ndarray --config "$OUT/$name.toml" ${resume[@]+"${resume[@]}"} \
      >"$OUT/$name.summary.json" 2>"$OUT/$name.log"
  done
done
python3 experiments/ablation/summarize.py "$OUT" "$SEEDS" "$TRAIN_LIMIT" "$VAL_LIMIT"
