#!/usr/bin/env bash
# One GPU trip: unpacks experiments/gpu/pack/ (made by pack.sh) and measures, on this machine,
#   - cold first step: full fine-tune, batch 32, empty kernel cache;
#   - warm first step: a second process on the kernel cache carried in (pack/kernel-cache.tar.xz,
#     from an earlier trip) or, when none was carried, the one the cold run just filled;
#   - burn training examples/s at steady state (steps 10..N of the cold run, from its metrics);
#   - burn inference questions/s (`sqlcoder predict`, greedy, batch 64, second of two runs);
#   - PyTorch on the same machine (../shared/tools/torch_minilm_gpu_bench.py, copied in the pack);
# and writes throughput.json, the logs, and the filled kernel cache (kernel-cache.tar.xz, to
# carry next time) into $OUT (the device tool's result folder) or --out DIR.
#
#   experiments/gpu/run.sh [--backend cuda|ndarray] [--steps N] [--infer-questions N]
#                          [--torch-steps N] [--autotune LEVEL] [--out DIR]
#
# `--backend ndarray --steps 10 --infer-questions 64` rehearses it on a CPU (no torch part when
# PyTorch or CUDA is missing; the numbers are then CPU numbers, not GPU results).
set -euo pipefail
cd "$(dirname "$0")/../.."
BACKEND=cuda
STEPS=100
INFER_Q=0
TORCH_STEPS=200
AUTOTUNE=
OUTDIR=${OUT:-experiments/gpu/out}
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) BACKEND=$2; shift 2 ;;
    --steps) STEPS=$2; shift 2 ;;
    --infer-questions) INFER_Q=$2; shift 2 ;;
    --torch-steps) TORCH_STEPS=$2; shift 2 ;;
    --autotune) AUTOTUNE=$2; shift 2 ;;
    --out) OUTDIR=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
PACK=experiments/gpu/pack
[ -d "$PACK" ] || { echo "error: no $PACK: run experiments/gpu/pack.sh first" >&2; exit 1; }
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$OUTDIR" "$WORK"
OUTDIR=$(cd "$OUTDIR" && pwd)
WORK=$(cd "$WORK" && pwd)
LOG="$OUTDIR/run.log"
: >"$LOG"
say() { echo "[$(date -u +%T)] $*" | tee -a "$LOG" >&2; }

say "unpacking into $WORK"
BIN="$WORK/sqlcoder"
xz -dc "$PACK/bin/sqlcoder.xz" >"$BIN"
chmod +x "$BIN"
mkdir -p "$WORK/encoder" "$WORK/data/dataset_files" "$WORK/data/db_files" "$WORK/data/cache"
for f in "$PACK"/encoder/*; do
  case "$f" in
    *.xz) xz -dc "$f" >"$WORK/encoder/$(basename "$f" .xz)" ;;
    *) cp "$f" "$WORK/encoder/" ;;
  esac
done
xz -dc "$PACK/data/cache/train.cache.xz" >"$WORK/data/cache/train.cache"
xz -dc "$PACK/data/dataset_files/val.jsonl.xz" >"$WORK/data/dataset_files/val.jsonl"
if [ -f "$PACK/data/db_files/val.db.xz" ]; then
  xz -dc "$PACK/data/db_files/val.db.xz" >"$WORK/data/db_files/val.db"
fi
CARRIED=
if [ -f "$PACK/kernel-cache.tar.xz" ]; then
  mkdir -p "$WORK/carried"
  tar -C "$WORK/carried" -xJf "$PACK/kernel-cache.tar.xz"
  CARRIED="$WORK/carried/kernel-cache"
fi
cat "$PACK/MANIFEST" >>"$LOG"

GPU_FLAGS=()
[ -n "$AUTOTUNE" ] && GPU_FLAGS+=(--autotune "$AUTOTUNE")

# $1 run name, $2 max steps, $3 kernel cache folder.
train() {
  local name=$1 max=$2 kc=$3
  cat >"$WORK/$name.toml" <<EOF
name = "$name"
runs_dir = "$WORK/runs"
data_dir = "$WORK/data"
encoder_dir = "$WORK/encoder"
batch_size = 32
epochs = 1
train_limit = $((32 * STEPS))
val_limit = 256
checkpoint_every = 1000000000
max_steps = $max
[model]
mode = "full"
EOF
  mkdir -p "$kc"
  local t0 t1
  t0=$(date +%s.%N)
  # The driver's own PTX→SASS cache lives beside cubecl's, so it is cold and carried alike.
  CUDA_CACHE_PATH="$kc/nv" "$BIN" train --backend "$BACKEND" --config "$WORK/$name.toml" \
    --kernel-cache "$kc" ${GPU_FLAGS[@]+"${GPU_FLAGS[@]}"} >"$OUTDIR/train_$name.json" 2>"$OUTDIR/train_$name.log"
  t1=$(date +%s.%N)
  echo "$t0 $t1" >"$WORK/$name.wall"
  cp "$WORK/runs/$name/metrics.jsonl" "$OUTDIR/metrics_$name.jsonl"
  say "$name: $(grep -m1 'first step done' "$OUTDIR/train_$name.log" || echo 'no first step line')"
}

say "cold run: $STEPS steps, empty kernel cache"
KC="$WORK/kernel-cache"
rm -rf "$KC"
train cold "$STEPS" "$KC"
if [ -n "$CARRIED" ]; then
  say "warm run: kernel cache carried in"
  train warm 3 "$CARRIED"
  WARM_SOURCE=carried
else
  say "warm run: the cold run's kernel cache (none was carried in)"
  train warm 3 "$KC"
  WARM_SOURCE=same-run
fi

say "inference: predict on val (greedy, batch 64)"
INFER_DATA="$WORK/data"
if [ "$INFER_Q" -gt 0 ]; then
  INFER_DATA="$WORK/data-infer"
  mkdir -p "$INFER_DATA/dataset_files"
  head -n "$INFER_Q" "$WORK/data/dataset_files/val.jsonl" >"$INFER_DATA/dataset_files/val.jsonl"
fi
for k in 1 2; do
  CUDA_CACHE_PATH="$KC/nv" "$BIN" predict --no-guided --backend "$BACKEND" --split val --data "$INFER_DATA" \
    --model "$WORK/runs/cold/best" --encoder "$WORK/encoder" --batch-size 64 \
    --kernel-cache "$KC" ${GPU_FLAGS[@]+"${GPU_FLAGS[@]}"} --out "$WORK/pred.jsonl" \
    >"$OUTDIR/predict_$k.txt" 2>"$OUTDIR/predict_$k.log"
  say "predict $k: $(cat "$OUTDIR/predict_$k.txt")"
done

TORCH_LOG="$OUTDIR/torch.txt"
if python3 -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  say "PyTorch bench ($TORCH_STEPS steps)"
  python3 "$PACK/tools/torch_minilm_gpu_bench.py" "$WORK/encoder" \
    "$WORK/data/dataset_files/val.jsonl" "$TORCH_STEPS" >"$TORCH_LOG" 2>&1 || say "torch bench failed"
else
  say "no PyTorch with CUDA here: torch numbers left empty"
  : >"$TORCH_LOG"
fi

tar -C "$WORK" -cJf "$OUTDIR/kernel-cache.tar.xz" kernel-cache
DEVICE=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || true)
[ -n "$DEVICE" ] || DEVICE="cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
python3 experiments/gpu/summarize.py --out "$OUTDIR/throughput.json" --device "$DEVICE" \
  --backend "$BACKEND" --steps "$STEPS" --warm-source "$WARM_SOURCE" --autotune "${AUTOTUNE:-default}" \
  --outdir "$OUTDIR" --manifest "$PACK/MANIFEST"
cat "$OUTDIR/throughput.json" | tee -a "$LOG"
