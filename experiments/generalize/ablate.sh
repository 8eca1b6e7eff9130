#!/usr/bin/env bash
# What the generated questions and reading headers as words each add, measured near the operating
# point: every arm continues the previous shipped model (3 epochs of WikiSQL train, content
# features; git show f7b61cd^:models/sqlcoder-lora) for one pass over N questions at the
# continuation's learning rate (experiments/generalize/continue.toml), seeds 1..S:
#
#   wikisql     N questions of the train split
#   generated   N/2 of the train split + N/2 generated ones (experiments/augment/generate.py)
#   gen_spoken  as generated, headers read as words (the shipped recipe)
#
# An arm's seed s draws the same train questions in every arm (train_limit after a seeded
# shuffle) and the same generated ones in both generated arms (a seeded sample). Each run is
# scored by `tune` on the first 2,000 val questions and on the OOD tune part (greedy and every
# guided variant, so the decoding changes are measured on the same runs); summary with mean ± std
# and paired differences: results/ablation_generalize.{json,txt} (summarize_ablation.py).
#
#   experiments/generalize/ablate.sh [SEEDS] [N]     (defaults 3 4000)
#
# Runs go to runs/generalize/<arm>-s<seed>/; a finished run (its tune reports exist) is skipped,
# a killed one continues from its checkpoint.
set -euo pipefail
cd "$(dirname "$0")/../.."
SEEDS=${1:-3}
N=${2:-4000}
BIN=${BIN:-target/release/sqlcoder}
OUT=${OUT:-runs/generalize}
ARMS="wikisql generated gen_spoken"
mkdir -p "$OUT"

# The previous shipped model, from git.
prev=$OUT/previous-model
if [ ! -f "$prev/slots.safetensors" ]; then
  mkdir -p "$prev"
  for f in decoding.json slots.json slots.safetensors; do
    git show "f7b61cd^:models/sqlcoder-lora/$f" >"$prev/$f"
  done
fi
[ -f data/generated/train.jsonl ] || python3 experiments/augment/generate.py
[ -f data/ood/dataset_files/val.jsonl ] || "$BIN" data prepare --source data/ood/source --out data/ood
# The first 2,000 val questions as a data folder of their own (questions carry their tables;
# the database is shared).
val2k=$OUT/val2k
if [ ! -f "$val2k/dataset_files/val.jsonl" ]; then
  mkdir -p "$val2k/dataset_files" "$val2k/db_files"
  head -n 2000 data/dataset_files/val.jsonl >"$val2k/dataset_files/val.jsonl"
  ln -sf "$PWD/data/db_files/val.db" "$val2k/db_files/val.db"
fi

for seed in $(seq 1 "$SEEDS"); do
  # N/2 generated questions, the same for both generated arms of this seed.
  gen=$OUT/gen-n$((N / 2))-s$seed.jsonl
  [ -f "$gen" ] || python3 - "$gen" "$seed" "$((N / 2))" <<'PY'
import random, sys
out, seed, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lines = open("data/generated/train.jsonl").readlines()
with open(out, "w") as f:
    f.writelines(random.Random(seed).sample(lines, n))
PY
  for arm in $ARMS; do
    name="$arm-s$seed"
    if [ -f "$OUT/$name/tune_ood.json" ] && [ -f "$OUT/$name/tune_val2k.json" ]; then
      echo "$name: done"
      continue
    fi
    limit=$N extra="" spoken=false
    case $arm in
      wikisql) ;;
      generated) limit=$((N / 2)) extra="\"$gen\"" ;;
      gen_spoken) limit=$((N / 2)) extra="\"$gen\"" spoken=true ;;
    esac
    cat >"$OUT/$name.toml" <<TOML
name = "$name"
runs_dir = "$OUT"
init_model = "$prev"
extra_train = [$extra]
train_limit = $limit
val_limit = 2000
epochs = 1
batch_size = 32
seed = $seed
checkpoint_every = 25

[model]
mode = "lora"
dropout = 0.1
content = true
spoken_headers = $spoken

[model.lora]
rank = 8
alpha = 16.0

[optim]
lr_encoder = 3e-4
lr_heads = 3e-4
weight_decay = 0.01
warmup_fraction = 0.05
grad_clip = 1.0
TOML
    if ! grep -q '"kind":"epoch"' "$OUT/$name/metrics.jsonl" 2>/dev/null; then
      resume=()
      [ -f "$OUT/$name/checkpoint/state.json" ] && resume=(--resume)
      echo "$name: training ($(date -u +%H:%M))"
      "$BIN" train --backend ndarray --config "$OUT/$name.toml" ${resume[@]+"${resume[@]}"} \
        >"$OUT/$name.summary.json" 2>"$OUT/$name.log"
    fi
    echo "$name: scoring ($(date -u +%H:%M))"
    "$BIN" tune --data "$val2k" --split val --model "$OUT/$name/best" \
      --out "$OUT/$name/tune_val2k.json" >/dev/null 2>>"$OUT/$name.log"
    "$BIN" tune --data data/ood --split val --model "$OUT/$name/best" \
      --out "$OUT/$name/tune_ood.json" >/dev/null 2>>"$OUT/$name.log"
  done
done
python3 experiments/generalize/summarize_ablation.py "$OUT" "$SEEDS" "$N" $ARMS
