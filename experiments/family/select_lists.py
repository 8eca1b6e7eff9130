#!/usr/bin/env python3
"""How a model's select lists miss on the tune part's questions that select two or more columns.

  experiments/family/select_lists.py NAME

Reads score_model.py's answers (runs/family_tune_NAME.answers.jsonl, every answer as `ask --json`
gave it, confident or not) and the golds (data/ood/source/dev.{family,outside}.jsonl, in that
order). For each family question whose gold selects two or more columns, the answer's selected
columns are compared with the gold's as sets: equal, a part of them only, or with a column the gold
lacks; and how many columns were selected against how many the gold has. Writes
experiments/results/family_select_lists_NAME.txt.
"""
import collections
import json
import sys

name = sys.argv[1]
src = "data/ood/source"
golds = [json.loads(l) for k in ("family", "outside") for l in open(f"{src}/dev.{k}.jsonl")
         if l.strip()]
answers = [json.loads(l) for l in open(f"runs/family_tune_{name}.answers.jsonl")]


def columns(query):
    return [i.get("col") for i in (query or {}).get("select", []) if i.get("col") is not None]


kinds, counts = collections.Counter(), collections.Counter()
for gold, answer in zip(golds, answers):
    if "family" not in gold or len(columns(gold["family"])) < 2:
        continue
    g, p = set(columns(gold["family"])), columns(answer.get("family"))
    kinds["same columns" if set(p) == g else "a part of the gold's only" if set(p) < g
          else "a column the gold lacks"] += 1
    counts[(len(g), len(p))] += 1
lines = [f"{name}: {sum(kinds.values())} tune questions selecting two or more columns"]
lines += [f"  {k}: {v}" for k, v in kinds.most_common()]
lines += ["gold columns, answered columns: questions"]
lines += [f"  {g}, {p}: {n}" for (g, p), n in sorted(counts.items())]
out = f"experiments/results/family_select_lists_{name}.txt"
with open(out, "w") as f:
    f.write("\n".join(lines) + "\n")
print(open(out).read())
