#!/usr/bin/env python3
"""A model on one part of our own questions beyond the sketch (data/ood/source, FAMILY.md).

  experiments/family/score_model.py BIN MODEL PART NAME [rules-off]

PART is `tune` (dev.*), `report` (test.* — frozen: once per final model) or `generated`
(generated_val.py's sample of template questions on unseen tables). Every question of the
part (its family lines, then its outside lines, the order `eval --family` reads) is asked with
`BIN ask --json` on its table in data/ood/db_files/<split>.db (built by `data prepare`, as
experiments/eval_ood.sh does). A confident answer becomes a prediction (its `family` query); an
answer flagged not confident is "Not sure" (an `error` line). Then `eval --family` scores them and
writes experiments/results/family_<PART>_<NAME>.txt (and the per-question scores to
runs/family_<PART>_<NAME>.eval.json): per shape, the share answered, right
(EX), and answered but wrong; and "Not sure" on the questions outside the family.

`rules-off`: every rule off, for the per-shape EX the heads alone reach: greedy decoding
(`--no-guided`: no execution guidance and none of its refinements) and every answer taken as
given, whatever its confidence or the word rules that flag it.
"""
import json
import os
import subprocess
import sys

bin_, model, part, name = sys.argv[1:5]
rules_off = sys.argv[5:6] == ["rules-off"]
split, prefix = {"tune": ("val", "dev"), "report": ("test", "test"), "generated": ("val", "dev")}[part]
# `generated`: generated_val.py's sample of the generator's questions on WikiSQL's val tables.
prepared = "runs/generated_val" if part == "generated" else "data/ood"
src = f"{prepared}/source" if part == "generated" else "data/ood/source"
db = f"{prepared}/db_files/{split}.db"
if not os.path.exists(db):
    subprocess.run([bin_, "data", "prepare", "--source", src, "--out", prepared], check=True)
questions = []
for kind in ("family", "outside"):
    with open(f"{src}/{prefix}.{kind}.jsonl") as f:
        questions += [json.loads(line) for line in f if line.strip()]
os.makedirs("runs", exist_ok=True)
pred_path = f"runs/family_{part}_{name}.pred.jsonl"
# Every answer as `ask --json` gave it (its confidence and flags): calibrate.py reads them.
answers_path = f"runs/family_{part}_{name}.answers.jsonl"
with open(pred_path, "w") as out, open(answers_path, "w") as answers:
    for i, q in enumerate(questions):
        run = subprocess.run(
            [bin_, "ask", "--model", model, "--db", db, "--table", q["table_id"], "--json"]
            + (["--no-guided"] if rules_off else []) + [q["question"]],
            capture_output=True, text=True)
        answer = json.loads(run.stdout) if run.returncode == 0 and run.stdout.strip() else {}
        answers.write(json.dumps({k: answer.get(k) for k in
                                  ("family", "confidence", "confident", "outside_sketch",
                                  "sketch_prob")}) + "\n")
        if (answer.get("confident") or rules_off) and answer.get("family"):
            out.write(json.dumps({"family": answer["family"]}) + "\n")
        else:
            out.write(json.dumps({"error": "not sure" if answer else run.stderr.strip()}) + "\n")
        if (i + 1) % 25 == 0:
            print(f"{i + 1}/{len(questions)} asked", file=sys.stderr)
# The per-question scores stay beside the predictions (runs/, not committed: a part's scores
# are 120 KB a model); the per-shape table is the committed result.
report = f"experiments/results/family_{part}_{name}.txt"
with open(report, "w") as txt:
    subprocess.run([bin_, "eval", "--family", src, "--split", split, "--pred", pred_path,
                    "--out", f"runs/family_{part}_{name}.eval.json"], check=True, stdout=txt)
print(open(report).read())
