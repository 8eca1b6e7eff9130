#!/usr/bin/env bash
# One GPU trip: unpacks experiments/gpu/pack/ (made by pack.sh) and measures, on this machine,
#   - cold first step: full fine-tune, batch 32, empty kernel cache;
#   - warm first step: a second process on the kernel cache carried in (experiments/gpu/kernel-cache.tar.xz,
#     from an earlier trip) or, when none was carried, the one the cold run just filled;
#   - burn training examples/s at steady state (steps 10..N of the cold run, from its metrics);
#   - burn inference questions/s (`sqlcoder predict`, greedy, batch 64, second of two runs);
#   - PyTorch on the same machine (../shared/tools/torch_minilm_gpu_bench.py, copied in the pack);
# and writes throughput.json, the logs, and the filled kernel cache (kernel-cache.tar.xz, to
# carry next time) into $OUT (the device tool's result folder) or --out DIR.
#
#   experiments/gpu/run.sh [--backend cuda|ndarray] [--steps N] [--infer-questions N]
#                          [--torch-steps N] [--out DIR] [--budget S]
#
# Every stage runs under its own time limit, a share of --budget (seconds for the whole trip,
# default 470), so a stage that stalls (a cold start compiling for minutes) still leaves time
# for the others and for the results: the logs of a stage cut short say how far it got.
# When the pack holds a second binary (bin/sqlcoder-<variant>.xz, see pack.sh), it gets its own
# cold run on an empty kernel cache, so one trip compares two builds (e.g. bf16 against f32).
#
# `--backend ndarray --steps 10 --infer-questions 64` rehearses it on a CPU (no torch part when
# PyTorch or CUDA is missing; the numbers are then CPU numbers, not GPU results).
set -euo pipefail
cd "$(dirname "$0")/../.."
BACKEND=cuda
STEPS=100
INFER_Q=0
TORCH_STEPS=200
BUDGET=470
OUTDIR=${OUT:-experiments/gpu/out}
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) BACKEND=$2; shift 2 ;;
    --steps) STEPS=$2; shift 2 ;;
    --infer-questions) INFER_Q=$2; shift 2 ;;
    --torch-steps) TORCH_STEPS=$2; shift 2 ;;
    --out) OUTDIR=$2; shift 2 ;;
    --budget) BUDGET=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
PACK=experiments/gpu/pack
[ -d "$PACK" ] || { echo "error: no $PACK: run experiments/gpu/pack.sh first" >&2; exit 1; }
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$OUTDIR" "$WORK"
# What comes back from a device call is at most 8 files of 16 MiB: the stages write into
# $WORK/results, and the end of the trip leaves in the result folder only run.log,
# throughput.json, logs.tar.xz (everything else) and the kernel cache (in 15 MiB parts if larger).
FINAL=$(cd "$OUTDIR" && pwd)
WORK=$(cd "$WORK" && pwd)
OUTDIR="$WORK/results"
mkdir -p "$OUTDIR"
LOG="$FINAL/run.log"
: >"$LOG"
say() { echo "[$(date -u +%T)] $*" | tee -a "$LOG" >&2; }

T0=$(date +%s)
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
mkdir -p "$WORK/model"
for f in "$PACK"/model/*; do
  [ -e "$f" ] || continue # no model packed (pack.sh with MODEL=)
  case "$f" in
    *.xz) xz -dc "$f" >"$WORK/model/$(basename "$f" .xz)" ;;
    *) cp "$f" "$WORK/model/" ;;
  esac
done
# The kernel cache of the last trip is tracked in git (experiments/gpu/kernel-cache.tar.xz, 4 MB),
# so it travels with the working tree, not in the pack.
CARRIED=
if [ -f experiments/gpu/kernel-cache.tar.xz ]; then
  mkdir -p "$WORK/carried"
  tar -C "$WORK/carried" -xJf experiments/gpu/kernel-cache.tar.xz
  CARRIED="$WORK/carried/kernel-cache"
fi
cat "$PACK/MANIFEST" >>"$LOG"


# Time limits: each stage gets its share of the budget, and never more than what is left
# minus what the later stages and the summary need (`limit SHARE_PERCENT RESERVE_SECONDS`).
limit() {
  local want=$((BUDGET * $1 / 100)) left=$((BUDGET - ($(date +%s) - T0) - $2))
  [ "$left" -lt "$want" ] && want=$left
  [ "$want" -lt 5 ] && want=5
  echo "$want"
}

# The compile log names every kernel compiled (SQLCODER_KERNEL_LOG, one file per stage). With it
# on, cubecl pipes each kernel's source through clang-format; a stand-in that fails at once keeps
# that from costing time (cubecl then logs the source unformatted).
mkdir -p "$WORK/fakebin"
printf '#!/bin/sh\nexit 1\n' >"$WORK/fakebin/clang-format"
chmod +x "$WORK/fakebin/clang-format"

# GPU utilisation and memory once a second for the whole trip (cuda only).
SAMPLER=
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv,noheader -l 1 \
    >"$OUTDIR/gpu_util.csv" 2>/dev/null &
  SAMPLER=$!
fi

# $1 run name, $2 max steps, $3 kernel cache folder, $4 time limit (s), $5 binary.
train() {
  local name=$1 max=$2 kc=$3 secs=$4 bin=$5
  cat >"$WORK/$name.toml" <<TOML
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
TOML
  mkdir -p "$kc"
  say "$name: up to $secs s"
  local rc=0
  # The driver's own PTX→SASS cache lives beside cubecl's, so it is cold and carried alike.
  PATH="$WORK/fakebin:$PATH" SQLCODER_KERNEL_LOG="$OUTDIR/kernels_$name.log" CUDA_CACHE_PATH="$kc/nv" \
    timeout -k 5 "$secs" "$bin" train --backend "$BACKEND" --config "$WORK/$name.toml" \
    --kernel-cache "$kc" >"$OUTDIR/train_$name.json" \
    2>"$OUTDIR/train_$name.log" || rc=$?
  cp "$WORK/runs/$name/metrics.jsonl" "$OUTDIR/metrics_$name.jsonl" 2>/dev/null || true
  local kernels
  kernels=$(grep -c 'Compiling kernel' "$OUTDIR/kernels_$name.log" 2>/dev/null || true)
  say "$name: exit $rc; $(grep -m1 'first step done' "$OUTDIR/train_$name.log" || echo 'no first step line');" \
    "${kernels:-0} kernels compiled; kernel cache $(du -sh "$kc" | cut -f1)"
}

# Runs at the end, also when a stage fails: whatever was measured comes back.
finish() {
  set +e
  if [ -n "$SAMPLER" ]; then kill "$SAMPLER" 2>/dev/null; fi
  for f in "$OUTDIR"/kernels_*.log; do
    if [ -f "$f" ]; then xz -T0 "$f"; fi
  done
  if [ -d "$KC" ]; then
    du -sb "$KC" | cut -f1 >"$OUTDIR/kernel_cache_bytes"
    tar -C "$WORK" -cJf "$WORK/kernel-cache.tar.xz" kernel-cache
    local bytes
    bytes=$(stat -c %s "$WORK/kernel-cache.tar.xz")
    if [ "$bytes" -le $((15 * 1024 * 1024)) ]; then
      mv "$WORK/kernel-cache.tar.xz" "$FINAL/"
    elif [ "$bytes" -le $((60 * 1024 * 1024)) ]; then
      split -b 15M -d "$WORK/kernel-cache.tar.xz" "$FINAL/kernel-cache.tar.xz."
      say "kernel cache split into parts: cat kernel-cache.tar.xz.* > kernel-cache.tar.xz"
    else
      say "kernel cache ($bytes bytes compressed) too large to bring back"
    fi
  fi
  DEVICE=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
  [ -n "$DEVICE" ] || DEVICE="cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  python3 experiments/gpu/summarize.py --out "$FINAL/throughput.json" --device "$DEVICE" \
    --backend "$BACKEND" --steps "$STEPS" --warm-source "${WARM_SOURCE:-none}" \
    --outdir "$OUTDIR" --manifest "$PACK/MANIFEST"
  cat "$FINAL/throughput.json" | tee -a "$LOG"
  tar -C "$OUTDIR" -cJf "$FINAL/logs.tar.xz" .
  say "trip done: $(ls "$FINAL" | tr '\n' ' ')"
}

KC="$WORK/kernel-cache"
trap finish EXIT
say "cold run: $STEPS steps, empty kernel cache"
rm -rf "$KC"
train cold "$STEPS" "$KC" "$(limit 36 200)" "$BIN"
# A second build in the pack (pack.sh with VARIANT): the same cold run, its own empty cache.
for v in "$PACK"/bin/sqlcoder-*.xz; do
  [ -f "$v" ] || continue
  vname=$(basename "$v" .xz)
  vname=${vname#sqlcoder-}
  xz -dc "$v" >"$WORK/sqlcoder-$vname"
  chmod +x "$WORK/sqlcoder-$vname"
  say "variant $vname: cold run, empty kernel cache"
  train "cold_$vname" "$STEPS" "$WORK/kernel-cache-$vname" "$(limit 19 160)" "$WORK/sqlcoder-$vname"
done
# The warm run repeats the cold run's steps on a filled cache: its first step is the warm start,
# and its rate (no compilation left) is the steady-state training speed.
if [ -n "$CARRIED" ]; then
  say "warm run: kernel cache carried in"
  train warm "$STEPS" "$CARRIED" "$(limit 16 100)" "$BIN"
  WARM_SOURCE=carried
else
  say "warm run: the cold run's kernel cache (none was carried in)"
  train warm "$STEPS" "$KC" "$(limit 16 100)" "$BIN"
  WARM_SOURCE=same-run
fi

# Inference with the shipped model when the pack carries it (then it does not depend on the cold
# run finishing, and its predictions come back to compare with the CPU's), else the cold run's.
MODEL_DIR="$WORK/model"
[ -f "$MODEL_DIR/slots.json" ] || MODEL_DIR="$WORK/runs/cold/best"
say "inference: predict on val (greedy, batch 64), model $MODEL_DIR"
INFER_DATA="$WORK/data"
if [ "$INFER_Q" -gt 0 ]; then
  INFER_DATA="$WORK/data-infer"
  mkdir -p "$INFER_DATA/dataset_files"
  head -n "$INFER_Q" "$WORK/data/dataset_files/val.jsonl" >"$INFER_DATA/dataset_files/val.jsonl"
fi
for k in 1 2; do
  rc=0
  PATH="$WORK/fakebin:$PATH" SQLCODER_KERNEL_LOG="$OUTDIR/kernels_predict_$k.log" CUDA_CACHE_PATH="$KC/nv" \
    timeout -k 5 "$(limit 5 60)" "$BIN" predict --no-guided --backend "$BACKEND" --split val \
    --data "$INFER_DATA" --model "$MODEL_DIR" --encoder "$WORK/encoder" --batch-size 64 \
    --kernel-cache "$KC" --out "$WORK/pred.jsonl" \
    >"$OUTDIR/predict_$k.txt" 2>"$OUTDIR/predict_$k.log" || rc=$?
  say "predict $k: exit $rc; $(cat "$OUTDIR/predict_$k.txt")"
done
if [ -f "$WORK/pred.jsonl" ]; then xz -c "$WORK/pred.jsonl" >"$OUTDIR/pred_val_greedy.jsonl.xz"; fi

TORCH_LOG="$OUTDIR/torch.txt"
if python3 -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  say "PyTorch bench ($TORCH_STEPS steps)"
  timeout -k 5 "$(limit 15 15)" python3 "$PACK/tools/torch_minilm_gpu_bench.py" "$WORK/encoder" \
    "$WORK/data/dataset_files/val.jsonl" "$TORCH_STEPS" >"$TORCH_LOG" 2>&1 || say "torch bench failed or cut short"
else
  say "no PyTorch with CUDA here: torch numbers left empty"
  : >"$TORCH_LOG"
fi

