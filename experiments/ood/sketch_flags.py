#!/usr/bin/env python3
"""How often `ask`/`repl`/`serve` say a question seems to need SQL beyond the sketch
(crates/infer/src/sketch.rs), on questions inside it (every flag is a false alarm) and outside it
(every flag is right).

  experiments/ood/sketch_flags.py BIN MODEL OUT_JSON [PART]

PART: tune (default: WikiSQL val, the OOD tune part's in-sketch and outside-sketch questions) or
report (the OOD report part: only for a final model, once). Every question goes through one
`BIN repl --json` per database (`:table ID` before each), so the flag sees the decoded query as
users get it. Writes counts by set (and by kind outside the sketch) and every flagged in-sketch
question to OUT_JSON."""
import json
import subprocess
import sys
from collections import Counter

bin_, model, out_path = sys.argv[1:4]
part = sys.argv[4] if len(sys.argv) > 4 else "tune"


def load(path):
    qs = []
    for line in open(path):
        q = json.loads(line)
        table = q["table_id"] if "table_id" in q else q["table"]["id"]
        qs.append({"table": table, "question": q["question"], "kind": q.get("outside")})
    return qs


def flags(db, questions):
    """The `outside_sketch` field of each question's answer (None where it has none)."""
    lines = []
    for q in questions:
        # The question on its own line: a newline inside it would split it.
        lines += [f":table {q['table']}", " ".join(q["question"].split())]
    run = subprocess.run([bin_, "repl", "--model", model, "--db", db, "--table",
                          questions[0]["table"], "--json"],
                         input="\n".join(lines) + "\n", capture_output=True, text=True, check=True)
    answers = [json.loads(l) for l in run.stdout.splitlines() if l.startswith("{")]
    assert len(answers) == len(questions), f"{len(answers)} answers to {len(questions)} questions"
    return [a.get("outside_sketch") for a in answers]


sets = {
    "tune": [("wikisql_val", "data/db_files/val.db", "data/dataset_files/val.jsonl"),
             ("ood_tune_in_sketch", "data/ood/db_files/val.db", "data/ood/source/dev.jsonl"),
             ("ood_tune_outside", "data/ood/db_files/val.db", "data/ood/source/dev.outside.jsonl")],
    "report": [("ood_report_in_sketch", "data/ood/db_files/test.db", "data/ood/source/test.jsonl"),
               ("ood_report_outside", "data/ood/db_files/test.db",
                "data/ood/source/test.outside.jsonl")],
}[part]
report = {}
for name, db, path in sets:
    qs = load(path)
    got = flags(db, qs)
    flagged = [(q, f) for q, f in zip(qs, got) if f]
    entry = {"questions": len(qs), "flagged": len(flagged),
             "rate": len(flagged) / len(qs), "by_cue": dict(Counter(f for _, f in flagged))}
    if name.endswith("outside"):
        total, hit = Counter(q["kind"] for q in qs), Counter(q["kind"] for q, _ in flagged)
        entry["by_kind"] = {k: {"questions": total[k], "flagged": hit[k]} for k in total}
    else:
        entry["false_alarms"] = [{"question": q["question"], "cue": f} for q, f in flagged]
    report[name] = entry
    print(f"{name}: {len(flagged)} of {len(qs)} flagged ({100 * entry['rate']:.2f}%)")
json.dump(report, open(out_path, "w"), indent=2, ensure_ascii=False)
