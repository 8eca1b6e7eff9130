#!/usr/bin/env python3
"""Collects one run.sh trip's logs into throughput.json (fields named in issue 12).

burn_train_ex_per_s is the steady-state rate of the warm run (it repeats the cold run's steps on a
filled kernel cache, so no compilation is left in it; the cold run's rate when the warm run logged
too little): the trainer logs, every 10 steps,
the examples/s since the epoch began (cumulative); from two such lines (steps a < b, all batches
of 32) the rate between them is 32 (b - a) / (t_b - t_a) with t = 32 step / rate. The first line
after step 10 is taken as a, so the first step's kernel compilation is left out.
"""
import argparse, json, re, pathlib

ap = argparse.ArgumentParser()
for flag in ["out", "device", "backend", "steps", "warm-source", "outdir", "manifest"]:
    ap.add_argument(f"--{flag}", required=True)
a = ap.parse_args()
d = pathlib.Path(a.outdir)


def read(name):
    p = d / name
    return p.read_text() if p.exists() else ""


def first_step(name):
    m = re.search(r"first step done ([0-9.]+) s", read(f"train_{name}.log"))
    return float(m.group(1)) if m else None


def steps_done(name):
    lines = [json.loads(l) for l in read(f"metrics_{name}.jsonl").splitlines() if l]
    return max([l["step"] for l in lines if l.get("kind") == "step"], default=0)


def steady_rate(name, batch=32):
    lines = [json.loads(l) for l in read(f"metrics_{name}.jsonl").splitlines() if l]
    steps = [l for l in lines if l.get("kind") == "step" and l.get("epoch") == 1]
    pts = [(l["step"], batch * l["step"] / l["examples_per_s"]) for l in steps if l["examples_per_s"] > 0]
    if len(pts) < 2:
        # Too short a run for a window (a CPU rehearsal): the cumulative rate, compile included.
        return (steps[-1]["examples_per_s"], [0, steps[-1]["step"]]) if steps else (None, None)
    after = [p for p in pts if p[0] >= 10]
    a_pt = after[0] if len(after) >= 2 else pts[0]
    b_pt = pts[-1]
    if b_pt[0] == a_pt[0]:
        return None, None
    return batch * (b_pt[0] - a_pt[0]) / (b_pt[1] - a_pt[1]), [a_pt[0], b_pt[0]]


def predict_rate():
    text = read("predict_2.txt")
    m = re.search(r"\(([0-9.]+) questions/s\)", text)
    return float(m.group(1)) if m else None


def torch_numbers():
    text = (d / "torch.txt").read_text() if (d / "torch.txt").exists() else ""
    f32 = re.search(r"training batch 32, f32:\s*([0-9.]+)", text)
    bf16 = re.search(r"training batch 32, bf16:\s*([0-9.]+)", text)
    inf = re.search(r"inference batch 64, f32:\s*([0-9.]+)", text)
    val = lambda m: float(m.group(1)) if m else None
    return val(f32), val(bf16), val(inf)


burn_train, window = steady_rate("warm")
rate_source = "warm"
if burn_train is None or window is None or window[1] - window[0] < 10:
    burn_train, window = steady_rate("cold")
    rate_source = "cold"
# Second builds' cold runs (run.sh names them cold_<variant>).
runs = [p.stem[len("train_"):] for p in sorted(d.glob("train_cold_*.log"))]
variants = {
    run[len("cold_"):]: {"first_step_s": first_step(run), "steps_done": steps_done(run)}
    for run in runs
}
cache_bytes = read("kernel_cache_bytes").strip()
torch_train, torch_bf16, torch_infer = torch_numbers()
burn_infer = predict_rate()
out = {
    "device": a.device,
    "backend": a.backend,
    "pack": pathlib.Path(a.manifest).read_text().strip(),
    "first_step_s": first_step("cold"),
    "first_step_warm_s": first_step("warm"),
    "warm_source": a.warm_source,
    "burn_train_ex_per_s": burn_train,
    "burn_train_steps_window": window,
    "burn_train_rate_from": rate_source,
    "steps_done_cold": steps_done("cold"),
    "steps_done_warm": steps_done("warm"),
    "torch_train_ex_per_s": torch_train,
    "torch_train_bf16_ex_per_s": torch_bf16,
    "train_ratio_burn_over_torch": burn_train / torch_train if burn_train and torch_train else None,
    "epoch_full_train_s_estimate": 49829 / burn_train if burn_train else None,
    "burn_infer_q_per_s": burn_infer,
    "burn_infer_note": "sqlcoder predict end to end (encode, model, greedy decode), val, batch 64, warm cache",
    "torch_infer_q_per_s": torch_infer,
    "torch_infer_note": "encoder forward only, batch 64 (torch_minilm_gpu_bench.py)",
    "steps": int(a.steps),
    "kernel_cache_bytes": int(cache_bytes) if cache_bytes else None,
    "variants": variants,
}
pathlib.Path(a.out).write_text(json.dumps(out, indent=2) + "\n")
