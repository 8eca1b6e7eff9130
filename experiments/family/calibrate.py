#!/usr/bin/env python3
"""Per-shape abstain thresholds for a model with the family heads, chosen on the tune part.

  experiments/family/calibrate.py NAME MODEL

Reads what experiments/family/score_model.py left for `tune NAME` (every answer's query and
confidence, runs/family_tune_NAME.answers.jsonl, and whether it was right,
runs/family_tune_NAME.eval.json), groups the answers by the first shape of the query
they ran (the order of `Shape::ALL` in crates/data/src/types/family.rs, mirrored below), and per
shape picks the threshold that maximises right − 2 × wrong among the answers it keeps (a confident
wrong answer costs twice a "Not sure"); a shape with fewer than MIN_ANSWERS answers takes the
threshold chosen over all answers beyond the sketch. Questions outside the family count as wrong
when answered. Writes experiments/results/family_calibration_NAME.json and the thresholds into
MODEL/decoding.json (`abstain_below_shape`, keyed by shape name as `Shape::name` writes it).
"""
import json
import sys

MIN_ANSWERS = 8
WRONG_COST = 2.0
# A threshold no confidence reaches: the shape always answers "Not sure".
NEVER = 1.01
# Shape::ALL's order and names, the sketch and dates aside (a query beyond the sketch whose only
# shape is dates takes the default threshold, here and in the product alike).
SHAPES = ["ranking (ORDER BY)", "grouping (GROUP BY)", "several columns", "HAVING", "OR", "!=",
          ">= / <=", "LIKE", "BETWEEN", "DISTINCT", "COUNT(DISTINCT)"]
BEYOND = "beyond the sketch (default)"


def first_shape(f):
    """The first of SHAPES a family query (its JSON form, data/ood/FAMILY.md) has, else None."""
    ops = [c.get("op") for c in f.get("where", [])]
    has = {
        "ranking (ORDER BY)": "order_by" in f,
        "grouping (GROUP BY)": "group_by" in f,
        "several columns": len(f.get("select", [])) > 1,
        "HAVING": "having" in f,
        "OR": f.get("connector") == "or" and len(ops) > 1,
        "!=": "!=" in ops,
        ">= / <=": ">=" in ops or "<=" in ops,
        "LIKE": any(o in ("like", "not like") for o in ops),
        "BETWEEN": "between" in ops,
        "DISTINCT": f.get("distinct", False),
        "COUNT(DISTINCT)": any(i.get("agg") == "count_distinct" for i in
                               f.get("select", []) + [f.get("order_by") or {}, f.get("having") or {}]),
    }
    return next((s for s in SHAPES if has[s]), None)


def best_threshold(answers):
    """(threshold, kept right, kept wrong) maximising right − WRONG_COST × wrong."""
    # 0 keeps every answer; above the most confident one (NEVER), none.
    candidates = sorted({0.0, NEVER} | {c for c, _ in answers})
    def score(t):
        kept = [r for c, r in answers if c >= t]
        right = sum(kept)
        return right - WRONG_COST * (len(kept) - right), right, len(kept) - right
    best = max(candidates, key=lambda t: (score(t)[0], -t))
    return best, *score(best)[1:]


name, model = sys.argv[1:3]
answers = [json.loads(l) for l in open(f"runs/family_tune_{name}.answers.jsonl")]
# `eval --family` scores every question in score_model.py's order (one outside the family is
# never right).
scores = json.load(open(f"runs/family_tune_{name}.eval.json"))["scores"]
assert len(scores) == len(answers)
right_of = [bool(s["matched"]["exact"]) for s in scores]
by_shape = {}
for a, right in zip(answers, right_of):
    f = a.get("family")
    if not f or a.get("outside_sketch") or a.get("confidence") is None:
        continue  # no answer, or a word rule abstains whatever the threshold
    shape = first_shape(f)
    if shape is None:
        continue  # inside the sketch: the sketch's threshold, chosen on WikiSQL val
    by_shape.setdefault(shape, []).append((a["confidence"], right))
every = [x for xs in by_shape.values() for x in xs]
default = best_threshold(every)
chosen = {BEYOND: {"answers": len(every), "threshold": default[0], "right": default[1],
                   "wrong": default[2]}}
for shape in SHAPES:
    xs = by_shape.get(shape, [])
    if len(xs) >= MIN_ANSWERS:
        t, right, wrong = best_threshold(xs)
        chosen[shape] = {"answers": len(xs), "threshold": t, "right": right, "wrong": wrong}
    else:
        kept = [r for c, r in xs if c >= default[0]]
        chosen[shape] = {"answers": len(xs), "threshold": default[0], "right": sum(kept),
                         "wrong": len(kept) - sum(kept), "from": BEYOND}
json.dump(chosen, open(f"experiments/results/family_calibration_{name}.json", "w"), indent=1)
decoding_path = f"{model}/decoding.json"
decoding = json.load(open(decoding_path))
decoding["abstain_below_shape"] = {s: round(c["threshold"], 6) for s, c in chosen.items()
                                   if s != BEYOND}
with open(decoding_path, "w") as out:
    json.dump(decoding, out, indent=2)
    out.write("\n")
for s, c in chosen.items():
    print(f"{s:32} {c['answers']:4} answers  threshold {c['threshold']:.3f}  "
          f"keeps {c['right']} right, {c['wrong']} wrong")
