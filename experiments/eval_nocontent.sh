#!/usr/bin/env bash
# The model shipped before table content (commit 662f8c9: LoRA r=8, 1 epoch, no content features,
# its decoding.json tuned on val), scored like the shipped model: results/nocontent_1epoch_*.json.
# It is taken from git history into a temporary folder, so the repository carries one model.
# Usage: experiments/eval_nocontent.sh [BINARY]   (default target/release/sqlcoder)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/sqlcoder}
model=$(mktemp -d)
trap 'rm -rf "$model"' EXIT
for f in $(git ls-tree --name-only 662f8c9 models/sqlcoder-lora/); do
  git show "662f8c9:$f" >"$model/$(basename "$f")"
done
experiments/eval_shipped.sh "$bin" "$model" nocontent_1epoch
