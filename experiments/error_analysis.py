"""Where a model's val errors are, by slot, with examples (REPORT §5).

    python3 experiments/error_analysis.py PRED.jsonl [SPLIT] [OUT.txt] [DATA]

Reads a `predict` file and the split's gold (DATA/dataset_files/<SPLIT>.jsonl; DATA defaults to
data, the OOD dev set is data/ood; SPLIT defaults to val) and
counts, among the questions whose logical form is wrong, how many miss each slot (a question can
miss several), with the aggregation and condition-count errors split by direction, and shows a few
examples of each. Slots are compared as the official scorer does: conditions as a set of
(column, operator, lowercased value)."""
import json
import sys
from collections import Counter
from pathlib import Path

AGG = ["", "MAX", "MIN", "COUNT", "SUM", "AVG"]
OP = ["=", ">", "<"]
pred_path = Path(sys.argv[1])
split = sys.argv[2] if len(sys.argv) > 2 else "val"
out = Path(sys.argv[3]) if len(sys.argv) > 3 else None
data = Path(sys.argv[4]) if len(sys.argv) > 4 else Path("data")


def norm(v):
    # The official evaluate.py compares str(value).lower(); JSON floats such as 3.0 print as "3.0".
    return str(v).lower()


def conds(q):
    return {(c[0], c[1], norm(c[2])) for c in q["conds"]}


def show(q, header):
    sql = f"SELECT {AGG[q['agg']]}({header[q['sel']]})"
    if q["conds"]:
        sql += " WHERE " + " AND ".join(f"{header[c[0]]} {OP[c[1]]} {c[2]!r}" for c in q["conds"])
    return sql


golds = [json.loads(l) for l in (data / "dataset_files" / f"{split}.jsonl").open()]
preds = [json.loads(l) for l in pred_path.open()]
assert len(golds) == len(preds), f"{len(preds)} predictions for {len(golds)} questions"

kinds = Counter()
examples = {}
wrong = 0
for g, p in zip(golds, preds):
    gold, header = g["sql"], g["table"]["header"]
    pred = p.get("query")
    if pred is None:
        kinds["no prediction"] += 1
        wrong += 1
        continue
    if pred["sel"] == gold["sel"] and pred["agg"] == gold["agg"] and conds(pred) == conds(gold):
        continue
    wrong += 1
    found = []
    if pred["sel"] != gold["sel"]:
        found.append("select column")
    if pred["agg"] != gold["agg"]:
        if pred["agg"] == 0:
            found.append("aggregation: missing (gold has one, predicted none)")
        elif gold["agg"] == 0:
            found.append("aggregation: spurious (predicted one, gold has none)")
        else:
            found.append("aggregation: a different one")
    ng, np_ = len(gold["conds"]), len(pred["conds"])
    if np_ < ng:
        found.append("condition count: too few")
    elif np_ > ng:
        found.append("condition count: too many")
    gcols, pcols = sorted(c[0] for c in gold["conds"]), sorted(c[0] for c in pred["conds"])
    if gcols != pcols:
        found.append("where columns")
    else:
        gold_by_col = {c[0]: c for c in gold["conds"]}
        if any(gold_by_col[c[0]][1] != c[1] for c in pred["conds"]):
            found.append("operators (right columns)")
        if any(norm(gold_by_col[c[0]][2]) != norm(c[2]) for c in pred["conds"]):
            found.append("values (right columns)")
    for k in found:
        kinds[k] += 1
        examples.setdefault(k, [])
        if len(examples[k]) < 3 and len(found) == 1:
            examples[k].append((g["question"], show(gold, header), show(pred, header)))

lines = [f"{pred_path.name} on {split}: {wrong} of {len(golds)} questions have a wrong logical form "
         f"({100 * wrong / len(golds):.2f}%)", "", "| slot missed | questions | share of errors |", "|---|---|---|"]
for k, n in kinds.most_common():
    lines.append(f"| {k} | {n} | {100 * n / wrong:.1f}% |")
lines += ["", "Examples (questions that miss only that slot):"]
for k, exs in examples.items():
    lines.append(f"\n{k}:")
    for q, gs, ps in exs:
        lines += [f"  Q: {q}", f"     gold: {gs}", f"     pred: {ps}"]
text = "\n".join(lines) + "\n"
if out:
    out.write_text(text)
print(text)
