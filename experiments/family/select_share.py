#!/usr/bin/env python3
"""How wide should a select list beyond the sketch be? `select_share` (decoding.json;
crates/infer/src/family_decode.rs) adds every column whose select probability is at least that
share of the top column's to the select-count head's top n, for queries already beyond the
sketch. Chosen on the tune part's family questions, with the gate open, for one model:

  experiments/family/select_share.py BIN MODEL NAME

It touches only queries that leave the sketch, so WikiSQL val and the in-sketch questions,
where such a query is scored wrong whatever its select list, do not change. For each share of
GRID, score_model.py asks the tune part (NAME-shareS-open) and `eval --family` scores it; the
share with the most right answers (ties: the smaller) is written to MODEL/decoding.json, with the
gate it had. The table: experiments/results/family_select_share_NAME.json.
"""
import json
import subprocess
import sys

GRID = [0.0, 0.2, 0.35, 0.5, 0.7]

bin_, model, name = sys.argv[1:4]
path = f"{model}/decoding.json"
decoding = json.load(open(path))
rows = []
for share in GRID:
    d = dict(decoding, select_share=share, leave_sketch_below=1.0)
    d.pop("abstain_below_shape", None)
    with open(path, "w") as f:
        json.dump(d, f, indent=2)
        f.write("\n")
    run_name = f"{name}-share{share}-open"
    subprocess.run([sys.executable, "experiments/family/score_model.py", bin_, model, "tune",
                    run_name], check=True, capture_output=True)
    report = json.load(open(f"runs/family_tune_{run_name}.eval.json"))
    shapes = {s["shape"]: s for s in report["by_shape"]}
    pct = lambda s: round(100 * s["exact"] / max(s["questions"], 1), 1)
    row = {"select_share": share, "family_ex": pct(report["all"]),
           "several_columns_ex": pct(shapes["several columns"]),
           "family_answered_wrong": round(100 * report["all"]["answered_wrong"] /
                                          report["all"]["questions"], 1)}
    print(json.dumps(row), flush=True)
    rows.append(row)
best = max(rows, key=lambda r: (r["family_ex"], -r["select_share"]))
decoding["select_share"] = best["select_share"]
with open(path, "w") as f:
    json.dump(decoding, f, indent=2)
    f.write("\n")
with open(f"experiments/results/family_select_share_{name}.json", "w") as f:
    json.dump({"chosen": best["select_share"], "rows": rows}, f, indent=2)
    f.write("\n")
print(f"chosen: select_share {best['select_share']} (written to {path})")
