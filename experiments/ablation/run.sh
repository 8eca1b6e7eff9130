#!/usr/bin/env bash
# Ablations of issue 13, each a study of arms trained with several seeds on the same train subset
# for one epoch and scored on the same val subset (greedy LF/EX at the epoch end). Summary with
# mean ± std and the paired (same seed) difference of each arm from the study's first arm:
# results/ablation_<study>.{json,txt}.
#
#   experiments/ablation/run.sh STUDY [SEEDS] [TRAIN_LIMIT] [VAL_LIMIT]    (defaults 3 6000 2000)
#
#   content    plain (no table content) vs content (the default recipe's heads)
#   heads      base (default recipe) vs op_value (operator head reads the value's edges)
#              vs where_att (where-side heads get their own column attention)
#              vs agg_q (aggregation head also reads [CLS])
#   finetune   base (LoRA r=8, lr 1e-3) vs full (whole encoder, lr 1e-4 encoder / 1e-3 heads)
#
# Runs go to runs/ablation/<arm>-s<seed>/ (an arm shared by two studies is trained once) and are
# resumable: a finished run is skipped, a killed one continues from its checkpoint.
set -euo pipefail
cd "$(dirname "$0")/../.."
STUDY=${1:?usage: run.sh content|heads|finetune [SEEDS] [TRAIN_LIMIT] [VAL_LIMIT]}
SEEDS=${2:-3}
TRAIN_LIMIT=${3:-6000}
VAL_LIMIT=${4:-2000}
BIN=${BIN:-target/release/sqlcoder}
OUT=runs/ablation
mkdir -p "$OUT"

case "$STUDY" in
  content) ARMS="plain content" ;;
  heads) ARMS="base op_value where_att agg_q" ;;
  finetune) ARMS="base full" ;;
  *) echo "unknown study: $STUDY" >&2; exit 2 ;;
esac

# The [model] and [optim] tables of an arm: the default recipe (LoRA, content) plus its change.
arm_config() {
  local mode=lora content=true lr_encoder=1e-3 heads=""
  case "$1" in
    plain) content=false ;;
    content | base) ;;
    op_value) heads="op_reads_value = true" ;;
    where_att) heads="where_attention = true" ;;
    agg_q) heads="agg_reads_question = true" ;;
    full) mode=full lr_encoder=1e-4 ;;
    *) echo "unknown arm: $1" >&2; exit 2 ;;
  esac
  cat <<TOML
[model]
mode = "$mode"
dropout = 0.1
content = $content

[model.heads]
$heads

[optim]
lr_encoder = $lr_encoder
lr_heads = 1e-3
TOML
}

for seed in $(seq 1 "$SEEDS"); do
  for arm in $ARMS; do
    name="$arm-s$seed"
    if grep -q '"kind":"epoch"' "$OUT/$name/metrics.jsonl" 2>/dev/null; then
      echo "$name: done"
      continue
    fi
    resume=()
    [ -f "$OUT/$name/checkpoint/state.json" ] && resume=(--resume)
    {
      cat <<TOML
name = "$name"
runs_dir = "$OUT"
epochs = 1
batch_size = 32
seed = $seed
train_limit = $TRAIN_LIMIT
val_limit = $VAL_LIMIT
checkpoint_every = 50

TOML
      arm_config "$arm"
    } >"$OUT/$name.toml"
    echo "$name: training ($(date -u +%H:%M))"
    "$BIN" train --backend ndarray --config "$OUT/$name.toml" ${resume[@]+"${resume[@]}"} \
      >"$OUT/$name.summary.json" 2>"$OUT/$name.log"
  done
done
python3 experiments/ablation/summarize.py "$OUT" "$STUDY" "$SEEDS" "$TRAIN_LIMIT" "$VAL_LIMIT" $ARMS
