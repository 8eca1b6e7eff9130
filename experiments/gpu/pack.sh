#!/usr/bin/env bash
# Packs what one GPU run needs into experiments/gpu/pack/ (git-ignored), to travel with the
# repository to a GPU machine in one trip of at most 64 MiB. See experiments/gpu/README.md.
#
#   experiments/gpu/pack.sh            # release binary built with --features cuda
#   FEATURES= experiments/gpu/pack.sh  # a CPU binary instead: rehearse run.sh on the CPU
#   VARIANT=bf16=/path/to/sqlcoder experiments/gpu/pack.sh
#                                      # also a second build, which run.sh gives its own cold run
#
# Packed (xz-compressed where it pays): the stripped `sqlcoder` binary, the encoder folder, the
# shipped model (for the inference measurement),
# the prepared training cache and val files of $DATA (default data/, prepared first if missing),
# and a copy
# of ../shared/tools/torch_minilm_gpu_bench.py. At the end it prints the sizes and checks that
# pack + repository without models/ fit in 64 MiB.
set -euo pipefail
cd "$(dirname "$0")/../.."
FEATURES=${FEATURES-cuda}
DATA=${DATA:-data}
ENCODER=${ENCODER:-models/all-MiniLM-L6-v2}
MODEL=${MODEL-models/sqlcoder-lora}   # MODEL= leaves it out (predict then uses the cold run's)
VARIANT=${VARIANT:-}
SHARED=${SHARED:-../shared}
TARGET=${CARGO_TARGET_DIR:-target}
PACK=experiments/gpu/pack
LIMIT=$((64 * 1024 * 1024))

if [ -n "$FEATURES" ]; then
  cargo build --release --features "$FEATURES"
else
  cargo build --release
fi
BIN="$TARGET/release/sqlcoder"

# The training cache is built by `train` on first use: a one-step CPU run on 8 examples builds it.
if [ ! -f "$DATA/cache/train.cache" ]; then
  if [ ! -f "$DATA/dataset_files/train.jsonl" ] && [ ! -f "$DATA/dataset_files/train.jsonl.xz" ]; then
    "$BIN" data prepare --source "$SHARED/wikisql" --out "$DATA"
  fi
  tmp=$(mktemp -d)
  cat >"$tmp/cache.toml" <<EOF
name = "cache"
runs_dir = "$tmp/runs"
data_dir = "$DATA"
encoder_dir = "$ENCODER"
train_limit = 8
val_limit = 8
batch_size = 8
max_steps = 1
[model]
mode = "frozen"
EOF
  "$BIN" train --backend ndarray --config "$tmp/cache.toml" >/dev/null
  rm -rf "$tmp"
fi

rm -rf "$PACK"
mkdir -p "$PACK/bin" "$PACK/encoder" "$PACK/model" "$PACK/data/dataset_files" \
  "$PACK/data/db_files" "$PACK/data/cache" "$PACK/tools"
strip -o "$PACK/bin/sqlcoder" "$BIN"
xz -T0 -9 "$PACK/bin/sqlcoder"
if [ -n "$VARIANT" ]; then
  strip -o "$PACK/bin/sqlcoder-${VARIANT%%=*}" "${VARIANT#*=}"
  xz -T0 -9 "$PACK/bin/sqlcoder-${VARIANT%%=*}"
fi
# $1 source folder, $2 pack folder: safetensors xz-compressed, the rest as it is.
pack_folder() {
  for f in "$1"/*; do
    case "$f" in
      *.safetensors) xz -T0 -9 -c "$f" >"$2/$(basename "$f").xz" ;;
      *) cp "$f" "$2/" ;;
    esac
  done
}
pack_folder "$ENCODER" "$PACK/encoder"
if [ -n "$MODEL" ]; then pack_folder "$MODEL" "$PACK/model"; fi
xz -T0 -9 -c "$DATA/cache/train.cache" >"$PACK/data/cache/train.cache.xz"
if [ -f "$DATA/dataset_files/val.jsonl.xz" ]; then
  cp "$DATA/dataset_files/val.jsonl.xz" "$PACK/data/dataset_files/"
else
  xz -T0 -9 -c "$DATA/dataset_files/val.jsonl" >"$PACK/data/dataset_files/val.jsonl.xz"
fi
# The val database scores validation (execution accuracy) at the end of an epoch.
if [ -f "$DATA/db_files/val.db" ]; then
  xz -T0 -9 -c "$DATA/db_files/val.db" >"$PACK/data/db_files/val.db.xz"
fi
cp "$SHARED/tools/torch_minilm_gpu_bench.py" "$PACK/tools/"
echo "features=${FEATURES:-none} built=$(date -u +%FT%TZ) commit=$(git rev-parse --short HEAD)" >"$PACK/MANIFEST"

# What travels: the tracked files (minus models/, moved aside by aside.sh) plus the pack.
pack_bytes=$(du -sb "$PACK" | cut -f1)
repo_bytes=$(git ls-files -z | grep -zv '^models/' | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
du -ah "$PACK" | sort -k2
total=$((pack_bytes + repo_bytes))
echo "pack $((pack_bytes / 1024)) KiB + repository without models/ $((repo_bytes / 1024)) KiB = $((total / 1024)) KiB (limit $((LIMIT / 1024)) KiB)"
if [ "$total" -gt "$LIMIT" ]; then
  echo "error: over the 64 MiB limit" >&2
  exit 1
fi
