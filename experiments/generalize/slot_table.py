#!/usr/bin/env python3
"""Per-slot accuracy before and after the generalization work (REPORT §7): the previous shipped
model against the shipped one, guided, on WikiSQL val and test and on both parts of the OOD dev
set, from the `eval --out` reports in experiments/results/.

    experiments/generalize/slot_table.py [OLD_NAME NEW_NAME]    (defaults: previous shipped)

WikiSQL reports are <name>_{val,test}_guided.json (the previous model's are content_3epoch_*),
OOD ones ood_{tune,report}_<name>_guided.json. Writes experiments/results/slots_before_after.md."""
import json
import sys
from pathlib import Path

old, new = (sys.argv[1:3] if len(sys.argv) > 2 else ("previous", "shipped"))
res = Path("experiments/results")
wikisql_name = {"previous": "content_3epoch"}
SLOTS = [("logical_form", "LF"), ("execution", "EX"), ("sel", "select column"),
         ("agg", "aggregation"), ("where_count", "where count"), ("where_columns", "where columns"),
         ("where_ops", "where operators"), ("where_values", "where values")]


def report(name, split):
    if split in ("val", "test"):
        return res / f"{wikisql_name.get(name, name)}_{split}_guided.json"
    return res / f"ood_{split}_{name}_guided.json"


rows = ["| slot (guided) | " + " | ".join(f"{s} {old} → {new}" for s in
                                          ("val", "test", "OOD tune", "OOD report")) + " |",
        "|---|---|---|---|---|"]
acc = {(n, s): json.load(open(report(n, s)))["accuracy"]
       for n in (old, new) for s in ("val", "test", "tune", "report")}
for key, label in SLOTS:
    cells = []
    for s in ("val", "test", "tune", "report"):
        a, b = 100 * acc[(old, s)][key], 100 * acc[(new, s)][key]
        cells.append(f"{a:.1f} → {b:.1f} ({b - a:+.1f})")
    rows.append(f"| {label} | " + " | ".join(cells) + " |")
out = res / "slots_before_after.md"
out.write_text("\n".join(rows) + "\n")
print("\n".join(rows))
