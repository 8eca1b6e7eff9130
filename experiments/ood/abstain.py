#!/usr/bin/env python3
"""How often a model says "Not sure" on the OOD dev set's questions outside the sketch.

  experiments/ood/abstain.py BIN MODEL DB OUTSIDE_JSONL REPORT_JSON

Each question of OUTSIDE_JSONL (data/ood/source/*.outside.jsonl: ORDER BY/LIMIT, GROUP BY, OR, …,
which `SELECT agg(col) WHERE … AND …` cannot express) is asked with `BIN ask --json` on its table
in DB; the right outcome is an answer flagged not confident ("Not sure"). The counts, overall and
by kind, are added to REPORT_JSON (an `eval --out` report) under "outside_sketch".
"""
import json
import subprocess
import sys
from collections import Counter

bin_, model, db, outside, report = sys.argv[1:6]
total, abstained = Counter(), Counter()
for line in open(outside):
    q = json.loads(line)
    out = subprocess.run(
        [bin_, "ask", "--model", model, "--db", db, "--table", q["table_id"], "--json", q["question"]],
        capture_output=True, text=True)
    answer = json.loads(out.stdout) if out.returncode == 0 and out.stdout.strip() else {}
    unsure = not answer.get("confident", False)
    for key in ("all", q["outside"]):
        total[key] += 1
        abstained[key] += unsure
rep = json.load(open(report))
rep["outside_sketch"] = {
    k: {"questions": total[k], "not_sure": abstained[k], "abstain_rate": abstained[k] / total[k]}
    for k in sorted(total)
}
json.dump(rep, open(report, "w"), indent=2)
print(f"outside the sketch: {abstained['all']}/{total['all']} answered 'Not sure'")
