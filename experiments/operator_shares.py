"""Share of each condition operator in the prepared train split (REPORT.md, section 5).

python3 experiments/operator_shares.py [data/dataset_files/train.jsonl]
"""
import collections
import json
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "data/dataset_files/train.jsonl"
counts = collections.Counter()
with open(path) as f:
    for line in f:
        for _col, op, _value in json.loads(line)["sql"]["conds"]:
            counts["=><"[op]] += 1
total = sum(counts.values())
for op in "=><":
    print(f"{op} {100 * counts[op] / total:.1f}% of {total} conditions")
