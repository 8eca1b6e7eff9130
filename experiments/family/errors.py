#!/usr/bin/env python3
"""Errors by shape: which slots a model's wrong answers on the tune part got wrong.

  experiments/family/errors.py NAME

Reads runs/family_tune_NAME.pred.jsonl (score_model.py's predictions, in the order of the tune
part's family lines then its outside lines) and runs/family_tune_NAME.eval.json
(which were right), and the golds in data/ood/source/dev.{family,outside}.jsonl. For every family
question answered and wrong, each slot group that differs from the gold is counted once, per gold
shape: the select items (columns, aggregates, their number), DISTINCT, the WHERE conditions
(columns, operators, values, the connector), GROUP BY, HAVING, ORDER BY (key, direction) and LIMIT.
A wrong answer with every slot as the gold's differs only in how a value is written. Writes
experiments/results/family_errors_NAME.txt.
"""
import json
import sys

name = sys.argv[1]
src = "data/ood/source"
golds = []
for kind in ("family", "outside"):
    for line in open(f"{src}/dev.{kind}.jsonl"):
        if line.strip():
            q = json.loads(line)
            golds.append(q)
preds = [json.loads(l) for l in open(f"runs/family_tune_{name}.pred.jsonl")]
scores = json.load(open(f"runs/family_tune_{name}.eval.json"))["scores"]


def norm_items(items):
    return [(i.get("agg", ""), i.get("col")) for i in items]


def slots(f):
    conds = f.get("where", [])
    return {
        "select items": norm_items(f.get("select", [])),
        "DISTINCT": f.get("distinct", False),
        "WHERE columns": sorted(c["col"] for c in conds),
        "WHERE operators": sorted((c["col"], c["op"]) for c in conds),
        "WHERE values": sorted((c["col"], json.dumps(c["value"]).lower()) for c in conds),
        "connector": f.get("connector", "and") if len(conds) > 1 else "and",
        "GROUP BY": f.get("group_by"),
        "HAVING": json.dumps(f.get("having"), sort_keys=True),
        "ORDER BY": json.dumps(f.get("order_by"), sort_keys=True),
        "LIMIT": f.get("limit"),
    }


table = {}
totals = {}
assert len(golds) == len(preds) == len(scores)
for score, gold, pred in zip(scores, golds, preds):
    if not gold.get("family"):
        continue
    if not score["answered"] or score["matched"]["exact"]:
        continue
    g, p = slots(gold["family"]), slots(pred.get("family") or {})
    wrong = [k for k in g if g[k] != p[k]] or ["only a value's spelling"]
    for shape in score["shapes"]:
        totals[shape] = totals.get(shape, 0) + 1
        for k in wrong:
            table.setdefault(shape, {}).setdefault(k, 0)
            table[shape][k] += 1
keys = ["select items", "DISTINCT", "WHERE columns", "WHERE operators", "WHERE values", "connector",
        "GROUP BY", "HAVING", "ORDER BY", "LIMIT", "only a value's spelling"]
lines = ["| gold shape | answered and wrong | " + " | ".join(keys) + " |",
         "|---|---:|" + "---:|" * len(keys)]
for shape, n in sorted(totals.items(), key=lambda kv: -kv[1]):
    lines.append(f"| {shape} | {n} | " + " | ".join(str(table[shape].get(k, 0)) for k in keys) + " |")
text = "\n".join(lines) + "\n"
open(f"experiments/results/family_errors_{name}.txt", "w").write(text)
print(text)
