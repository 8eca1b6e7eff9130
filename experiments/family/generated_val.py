#!/usr/bin/env python3
"""How well a model reads the generator's own questions on tables it never saw: the gap between
this and the tune part (people's questions on other tables) is what the wording costs.

  experiments/family/generated_val.py BIN MODEL NAME

1. `data augment --kinds family` on WikiSQL's val split (no model trains on its tables) writes
   template questions beyond the sketch to runs/generated_val/generated.jsonl.
2. SAMPLE of its lines, drawn with a fixed seed, become a part in data/ood's layout
   (runs/generated_val/source/dev.*; the gold SQL text is not needed to score).
3. MODEL with the gate open (a copy, runs/generated_val/NAME-open) answers each one through
   score_model.py, which scores it by execution as the tune part is scored:
   experiments/results/family_generated_NAME-open.{json,txt}.
"""
import json
import os
import random
import shutil
import subprocess
import sys

SAMPLE = 300
SEED = 1

bin_, model, name = sys.argv[1:4]
root = "runs/generated_val"
src = f"{root}/source"
shutil.rmtree(root, ignore_errors=True)
os.makedirs(src)
subprocess.run([bin_, "data", "augment", "--train", "data/dataset_files/val.jsonl", "--kinds",
                "family", "--out", f"{root}/generated.jsonl"], check=True, capture_output=True)
family = [json.loads(line) for line in open(f"{root}/generated.jsonl")]
family = [line for line in family if "family" in line]
random.Random(SEED).shuffle(family)
tables = {}
with open(f"{src}/dev.family.jsonl", "w") as out:
    for line in family[:SAMPLE]:
        table = line["table"]
        tables[table["id"]] = table
        out.write(json.dumps({"table_id": table["id"], "question": line["question"],
                              "family": line["family"], "sql": ""}) + "\n")
with open(f"{src}/dev.tables.jsonl", "w") as out:
    for table in tables.values():
        out.write(json.dumps(table) + "\n")
for empty in ("dev.jsonl", "dev.outside.jsonl", "test.tables.jsonl", "test.jsonl",
              "test.family.jsonl", "test.outside.jsonl"):
    open(f"{src}/{empty}", "w").close()

opened = f"{root}/{name}-open"
shutil.copytree(model, opened)
decoding = json.load(open(f"{opened}/decoding.json"))
decoding.pop("abstain_below_shape", None)
decoding["leave_sketch_below"] = 1.0
json.dump(decoding, open(f"{opened}/decoding.json", "w"), indent=2)
subprocess.run([sys.executable, "experiments/family/score_model.py", bin_, opened, "generated",
                f"{name}-open"], check=True)
