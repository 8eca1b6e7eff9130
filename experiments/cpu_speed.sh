#!/usr/bin/env bash
# Issue 10's CPU comparison, both sides back to back in one run on the same machine:
#   experiments/cpu_speed.sh [PYTHON]    → experiments/results/cpu_speed.json
# 1. burn (ndarray): `cargo bench --bench cpu_speed` — inference q/s at batch 16 (encoder +
#    slot heads) and full fine-tune training ex/s at batch 32; it also writes the batches used.
# 2. PyTorch (CPU, 2 threads): experiments/torch_cpu_speed.py on exactly those batches.
# PYTHON must have torch, numpy and safetensors (e.g. a venv with `pip install torch numpy
# safetensors`); default `python3`. The load average is recorded before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-python3}
BUDGET=${BUDGET:-20}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# CPU_SPEED_BIN: an already built bench binary (e.g. from `cargo test --release --no-run
# --bench cpu_speed`) to run instead of building through `cargo bench`.
if [ -n "${CPU_SPEED_BIN:-}" ]; then
  burn=("$CPU_SPEED_BIN")
else
  cargo bench --bench cpu_speed --no-run
  burn=(cargo bench --bench cpu_speed --)
fi
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%FT%TZ)
"${burn[@]}" --inputs "$tmp/inputs.json" --out "$tmp/burn.json" --budget "$BUDGET" | tee "$tmp/burn.txt"
OMP_NUM_THREADS=2 "$PY" experiments/torch_cpu_speed.py --inputs "$tmp/inputs.json" --threads 2 --budget "$BUDGET" --out "$tmp/torch.json"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
"$PY" - "$tmp" "$started" "$load_before" "$load_after" "$BUDGET" "$@" <<'PYEOF'
import json, os, sys
tmp, started, before, after, budget = sys.argv[1:6]
burn = json.load(open(f"{tmp}/burn.json"))
torch = json.load(open(f"{tmp}/torch.json"))
keys = ("torch_infer_q_per_s", "torch_train_ex_per_s", "torch_infer_cpu_ms_per_q", "torch_train_cpu_ms_per_ex")
out = {**burn, **{k: torch[k] for k in keys}}
out["infer_ratio_burn_over_torch"] = round(out["burn_infer_q_per_s"] / out["torch_infer_q_per_s"], 2)
out["train_ratio_burn_over_torch"] = round(out["burn_train_ex_per_s"] / out["torch_train_ex_per_s"], 2)
out.update({
    "command": (f"CPU_SPEED_BIN={os.environ['CPU_SPEED_BIN']} " if os.environ.get("CPU_SPEED_BIN") else "")
    + f"BUDGET={budget} experiments/cpu_speed.sh " + " ".join(sys.argv[6:]),
    "started_utc": started,
    "load_avg_1_5_15_before": before,
    "load_avg_1_5_15_after": after,
    "machine": "2-core AMD EPYC (AVX-512), shared",
    "torch": {k: v for k, v in torch.items() if k not in keys},
    "setup": "batch 16 inference (burn: encoder + six slot heads; torch: encoder + linear head), "
             "batch 32 full fine-tune step (forward, loss, backward, AdamW with clipping); "
             "same token batches on both sides (data/sample val / train questions)",
})
json.dump(out, open("experiments/results/cpu_speed.json", "w"), indent=2)
print(json.dumps(out, indent=2))
PYEOF
