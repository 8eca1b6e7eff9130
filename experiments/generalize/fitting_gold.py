#!/usr/bin/env python3
"""How often WikiSQL's own gold queries do what fitting columns (crates/infer/src/fitting.rs) passes
over: the check made before the rule was written (REPORT §7).

    python3 experiments/generalize/fitting_gold.py [DATA] [SPLIT]     (defaults data, train)

Counts, over the split's gold queries:
- SUM/AVG over a text-typed column, and over cells that are mostly not numbers as the rule reads
  them (spaces and thousands commas ignored, so "+ 38" is a number) and as a plain float parse;
- MAX/MIN over cells mostly without a digit;
- `<`/`>` conditions whose number follows a currency symbol in the question, by whether the gold
  column's header names money and whether another column's does (the rule moves such a condition
  only from a column that does not to one that does)."""
import json
import re
import sys
from collections import Counter
from pathlib import Path

data = Path(sys.argv[1] if len(sys.argv) > 1 else "data")
split = sys.argv[2] if len(sys.argv) > 2 else "train"
# The rule's lists (fitting.rs MONEY_WORDS, snap.rs CURRENCIES).
MONEY = {"amount", "budget", "cost", "costs", "dollars", "earnings", "eur", "euros", "fee", "fees",
         "fine", "fines", "gbp", "gross", "income", "pay", "price", "prices", "prize", "purse",
         "rent", "revenue", "revenues", "salary", "sales", "spend", "usd", "wage", "wages",
         "winnings"}
CURRENCIES = "$£€¥₹"


def mostly(cells, test):
    cells = [c for c in cells if not (isinstance(c, str) and not c.strip())]
    return not cells or 2 * sum(map(test, cells)) >= len(cells)


def number(c, loose):
    if isinstance(c, (int, float)):
        return True
    text = re.sub(r"[\s,]", "", c) if loose else c.strip()
    try:
        float(text)
        return True
    except ValueError:
        return False


def digit(c):
    return isinstance(c, (int, float)) or any(ch.isdigit() for ch in c)


def names_money(header):
    words = re.split(r"[^a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", header).lower())
    return any(ch in header for ch in CURRENCIES) or bool(MONEY & set(words))


counts = Counter()
for line in (data / "dataset_files" / f"{split}.jsonl").open():
    ex = json.loads(line)
    sql, table, question = ex["sql"], ex["table"], ex["question"]
    cells = [row[sql["sel"]] for row in table["rows"]]
    if sql["agg"] in (4, 5):
        counts["SUM/AVG"] += 1
        counts["SUM/AVG over a text-typed column"] += table["types"][sql["sel"]] == "text"
        counts["SUM/AVG over cells mostly not numbers (the rule's reading)"] += not mostly(
            cells, lambda c: number(c, True))
        counts["SUM/AVG over cells mostly not numbers (plain float parse)"] += not mostly(
            cells, lambda c: number(c, False))
    if sql["agg"] in (1, 2):
        counts["MAX/MIN"] += 1
        counts["MAX/MIN over cells mostly without a digit"] += not mostly(cells, digit)
    for col, op, value in sql["conds"]:
        if op == 0:
            continue
        at = question.find(str(value))
        if at < 0 or not question[:at].rstrip().endswith(tuple(CURRENCIES)):
            continue
        header = table["header"]
        others = any(names_money(h) for i, h in enumerate(header) if i != col)
        gold = "gold column names money" if names_money(header[col]) else "gold column does not"
        counts[f"money </> condition: {gold}, {'another does' if others else 'no other does'}"] += 1

print(f"{split} ({data}):")
for key in sorted(counts):
    print(f"  {key}: {counts[key]}")
