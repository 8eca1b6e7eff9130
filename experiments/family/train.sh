#!/usr/bin/env bash
# Trains the wider-sketch model (experiments/family/train.toml): the generated questions first
# (`data augment`, deterministic), then `train`, niced, resuming the run's last checkpoint when
# there is one. Hours on two cores; the loss curve is runs/family/curves.svg as it goes.
#
#   experiments/family/train.sh [BIN]        (BIN: default target/release/sqlcoder)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-target/release/sqlcoder}
[ -f data/dataset_files/train.jsonl ] || "$bin" data prepare --source ../shared/wikisql --out data
[ -f data/generated/train.jsonl ] || "$bin" data augment
resume=()
[ -d runs/family/checkpoint ] && resume=(--resume)
exec nice -n 10 "$bin" train --config experiments/family/train.toml "${resume[@]}"
