#!/usr/bin/env python3
"""When may the family heads leave WikiSQL's sketch? The gate `leave_sketch_below`
(decoding.json; crates/infer/src/decide.rs) lets their query answer only where the clause heads
give the sketch's shape less than that probability. Chosen on WikiSQL val and the tune part of
our own questions together, for one model:

  experiments/family/gate.py BIN MODEL NAME

1. WikiSQL val and the tune part's in-sketch questions (data/ood val), guided, predicted twice:
   the gate open (every query the heads write beyond the sketch answers; `predict` writes it with
   its `sketch_prob`) and shut (the sketch's decoding everywhere). For each gate of GRID, a
   question answers beyond the sketch (scored wrong there) where its `sketch_prob` is below the
   gate, else with its shut-gate prediction; `eval` scores the merged file.
2. The tune part's family questions, asked with the gate open and no abstain threshold
   (score_model.py, NAME-open): right under a gate where the answer was right and either stayed in
   the sketch or left it below the gate (an answer kept in the sketch by the gate is a query of
   WikiSQL's sketch, which no family question's gold is: counted not right).
3. The gate chosen: the widest of GRID whose val LF and EX and in-sketch tune EX each stay within
   TOLERANCE points of the shut gate, since the sketch's questions are the ones a wrong exit
   costs. Written to MODEL/decoding.json; the table to experiments/results/family_gate_NAME.json.
MODEL's decoding.json is the shipped one's when it has none; its per-shape thresholds are
dropped (evaluate.sh chooses them next, with the gate in place).
"""
import json
import os
import shutil
import subprocess
import sys

GRID = [1.0, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0]
TOLERANCE = {"val_lf": 0.3, "val_ex": 0.3, "insketch_ex": 0.5}

bin_, model, name = sys.argv[1:4]
decoding_path = f"{model}/decoding.json"
if not os.path.exists(decoding_path):
    shutil.copy("models/sqlcoder-lora/decoding.json", decoding_path)


def set_gate(gate):
    d = json.load(open(decoding_path))
    d.pop("abstain_below_shape", None)
    d["leave_sketch_below"] = gate
    with open(decoding_path, "w") as f:
        json.dump(d, f, indent=2)
        f.write("\n")


def predict(data, split, path):
    subprocess.run([bin_, "predict", "--data", data, "--model", model, "--split", split,
                    "--out", path], check=True, capture_output=True)
    return [json.loads(line) for line in open(path)]


def score(data, split, lines, path):
    with open(path, "w") as f:
        for line in lines:
            f.write(json.dumps(line) + "\n")
    out = path.replace(".jsonl", ".eval.json")
    subprocess.run([bin_, "eval", "--data", data, "--split", split, "--pred", path, "--out", out],
                   check=True, capture_output=True)
    acc = json.load(open(out))["accuracy"]
    return 100 * acc["logical_form"], 100 * acc["execution"]


os.makedirs("runs/gate", exist_ok=True)
# Our own questions as a WikiSQL-shaped split (as experiments/eval_ood.sh prepares them).
if not os.path.exists("data/ood/dataset_files/val.jsonl"):
    subprocess.run([bin_, "data", "prepare", "--source", "data/ood/source", "--out", "data/ood"],
                   check=True, capture_output=True)
splits = {"val": ("data", "val"), "insketch": ("data/ood", "val")}
preds = {}
for key, (data, split) in splits.items():
    set_gate(1.0)
    open_ = predict(data, split, f"runs/gate/{name}_{key}.open.jsonl")
    set_gate(0.0)
    shut = predict(data, split, f"runs/gate/{name}_{key}.shut.jsonl")
    preds[key] = (open_, shut)
    print(f"{key}: {sum('sketch_prob' in o for o in open_)} of {len(open_)} leave with the gate "
          f"open", file=sys.stderr)

set_gate(1.0)
subprocess.run([sys.executable, "experiments/family/score_model.py", bin_, model, "tune",
                f"{name}-open"], check=True, capture_output=True)
answers = [json.loads(line) for line in open(f"runs/family_tune_{name}-open.answers.jsonl")]
scored = json.load(open(f"runs/family_tune_{name}-open.eval.json"))
# A question with gold shapes is a family question (outside lines may carry a family gold).
family = [(a.get("sketch_prob"), s["answered"] and s["matched"]["exact"])
          for a, s in zip(answers, scored["scores"]) if s["shapes"]]
family_n = len(family)

rows = []
for gate in GRID:
    row = {"leave_sketch_below": gate}
    for key, (data, split) in splits.items():
        open_, shut = preds[key]
        merged = [o if o.get("sketch_prob") is not None and o["sketch_prob"] < gate else s
                  for o, s in zip(open_, shut)]
        lf, ex = score(data, split, merged, f"runs/gate/{name}_{key}.{gate}.jsonl")
        row[f"{key}_lf"], row[f"{key}_ex"] = round(lf, 2), round(ex, 2)
        row[f"{key}_leaving"] = sum(m is o and "sketch_prob" in o for m, o in zip(merged, open_))
    right = sum(ok and (p is None or p < gate) for p, ok in family)
    row["family_ex"] = round(100 * right / family_n, 1)
    rows.append(row)
    print(json.dumps(row), file=sys.stderr)

shut = rows[-1]
fits = [r for r in rows if all(r[k] >= shut[k] - t for k, t in TOLERANCE.items())]
chosen = max(fits, key=lambda r: r["leave_sketch_below"])
set_gate(chosen["leave_sketch_below"])
d = json.load(open(decoding_path))
d["chosen_on"] += ("; leave_sketch_below: the widest gate keeping WikiSQL val LF/EX and the tune "
                   "part's in-sketch EX within 0.3/0.3/0.5 points of the shut gate "
                   "(experiments/family/gate.py)")
with open(decoding_path, "w") as f:
    json.dump(d, f, indent=2)
    f.write("\n")
out = f"experiments/results/family_gate_{name}.json"
with open(out, "w") as f:
    json.dump({"tolerance": TOLERANCE, "chosen": chosen["leave_sketch_below"], "rows": rows}, f,
              indent=2)
    f.write("\n")
print("| gate | val LF | val EX | val leaving | in-sketch tune EX | leaving | family tune EX |")
print("|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    print(f"| {r['leave_sketch_below']} | {r['val_lf']:.2f} | {r['val_ex']:.2f} | "
          f"{r['val_leaving']} | {r['insketch_ex']:.2f} | {r['insketch_leaving']} | "
          f"{r['family_ex']:.1f} |")
print(f"chosen: leave_sketch_below {chosen['leave_sketch_below']} (written to {decoding_path}); "
      f"table in {out}")
