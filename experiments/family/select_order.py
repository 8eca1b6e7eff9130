#!/usr/bin/env python3
"""How people order the columns of a question that selects several items without grouping: the
table's column order against the order the question mentions them, on the tune part only
(data/ood/source/dev.*). The family decoder lists selected columns in table order, COUNT(*) last
(crates/infer/src/family_decode.rs); this is the measurement behind that rule.

Usage: python3 experiments/family/select_order.py
"""
import json
import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "data/ood/source"


def mention(question, header):
    """First place a header word of 3+ letters appears in the question (None: not mentioned)."""
    words = [w for w in re.split(r"[^0-9a-z]+", header.lower()) if len(w) >= 3]
    places = [question.find(w) for w in words if question.find(w) >= 0]
    return min(places) if places else None


def main():
    tables = {}
    for line in open(SOURCE / "dev.tables.jsonl"):
        t = json.loads(line)
        tables[t["id"]] = t
    total = table_order = mention_order = 0
    for line in open(SOURCE / "dev.family.jsonl"):
        d = json.loads(line)
        f = d["family"]
        items = f["select"]
        if f.get("group_by") is not None or len(items) < 2:
            continue
        header = tables[d["table_id"]]["header"]
        q = d["question"].lower()
        total += 1
        cols = [i["col"] if i.get("col") is not None else 10**6 for i in items]
        table_order += cols == sorted(cols)
        places = [
            mention(q, header[i["col"]]) if i.get("col") is not None else None for i in items
        ]
        places = [10**9 if p is None else p for p in places]
        mention_order += places == sorted(places)
    print(
        f"tune questions selecting several items without GROUP BY: {total}; "
        f"gold order = table order: {table_order}; = order of mention: {mention_order}"
    )


if __name__ == "__main__":
    main()
