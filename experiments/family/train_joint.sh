#!/usr/bin/env bash
# The two-stage wider-sketch model: stage 1 trains the family heads alone on the shipped model
# (heads_only.toml, runs/family-heads-only, ~25 min on two idle cores), stage 2 trains them with
# the adapters and the sketch heads (joint.toml, runs/family-joint, ~50 min). Niced; each stage
# resumes its last checkpoint and is skipped once its best model exists.
#
#   experiments/family/train_joint.sh [BIN]        (BIN: default target/release/sqlcoder)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-target/release/sqlcoder}
[ -f data/dataset_files/train.jsonl ] || "$bin" data prepare --source ../shared/wikisql --out data
[ -f data/generated/train.jsonl ] || "$bin" data augment
stage() {
  local config=$1 run=$2
  [ -f "runs/$run/done" ] && return 0
  local resume=()
  [ -d "runs/$run/checkpoint" ] && resume=(--resume)
  nice -n 10 "$bin" train --config "$config" "${resume[@]}"
  touch "runs/$run/done"
}
stage experiments/family/heads_only.toml family-heads-only
stage experiments/family/joint.toml family-joint
