#!/usr/bin/env python3
"""Extra training questions for the shapes WikiSQL lacks, generated from its own train tables.

  experiments/augment/generate.py [--train data/dataset_files/train.jsonl]
                                  [--out data/generated/train.jsonl] [--seed 7] [--kinds all]

WikiSQL's questions almost always have a condition (99.3%) and rarely count (9%), while people
asking about their own tables often want a whole-column answer ("How many members are there?",
"What is the average price?"). This writes challenge-format lines (one question per line, its table
inline, `sql` as `sel`/`agg`/`conds`) that `train` reads beside the train split (`extra_train` in a
training config). Every generated question is built from a train table and, where it has a
condition, from one of that table's cells, so the value always appears in the question.

Kinds (`--kinds`, comma-separated, default all):
- `whole`:  no condition: COUNT of rows, SUM/AVG/MAX/MIN of a numeric column, or all of a column;
- `count`:  COUNT / SUM / AVG with one condition, in everyday wording;
- `quoted`: an original question whose condition value is put in quotes (the gold value is not);
- `names`:  a table whose "First Last" name column is split into first/last name columns, with
            the original questions about one person rewritten to two conditions;
- `headers`: original questions on a copy of their table whose headers are written as code
            (snake_case, camelCase, abbreviations); the SQL refers to the same column indices.
Deterministic for a given seed and input. Prints how many of each kind it wrote.
"""
import argparse
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

AGG = {"": 0, "MAX": 1, "MIN": 2, "COUNT": 3, "SUM": 4, "AVG": 5}

COUNT_WHOLE = [
    "How many {n} are there?", "How many {n} are listed?", "how many {n} are in the table",
    "Count the {n}.", "What is the number of {n}?", "How many {n} do we have?",
    "Total number of {n}?", "how many {n} in total?", "What's the count of {n}?",
    "Give me the number of {n}.", "How many {n} does the list have?", "number of {n}",
]
AGG_WHOLE = {
    "SUM": ["What is the total {c}?", "What is the sum of the {c}?", "Add up all the {c}.",
            "total {c}?", "What's the combined {c}?", "How much {c} is there in total?",
            "What is the {c} in total?", "sum of {c}", "Give me the total {c}."],
    "AVG": ["What is the average {c}?", "What's the mean {c}?", "average {c}",
            "On average, what is the {c}?", "What is the {c} on average?",
            "What is the typical {c} on average?", "Give me the mean {c}.", "avg {c}?"],
    "MAX": ["What is the highest {c}?", "What is the maximum {c}?", "largest {c}?",
            "What's the biggest {c}?", "What is the greatest {c}?", "max {c}",
            "What is the top {c}?", "Give me the highest {c}."],
    "MIN": ["What is the lowest {c}?", "What is the minimum {c}?", "smallest {c}?",
            "What's the least {c}?", "min {c}", "What is the smallest {c} listed?",
            "Give me the lowest {c}."],
}
LIST_WHOLE = [
    "List all the {c}.", "Show every {c}.", "What are all the {c} values?", "Give me all the {c}.",
    "list the {c}", "Which {c} are there?", "Show me the {c} column.", "What {c} are listed?",
]
COUNT_COND = [
    "How many {n} have {w} {v}?", "How many {n} have a {w} of {v}?", "How many {n} are {v}?",
    "Number of {n} with {w} {v}?", "how many {n} with {v} as {w}", "Count the {n} where {w} is {v}.",
    "How many times does {v} appear as {w}?", "How many {n} list {v} as their {w}?",
]
AGG_COND = {
    "SUM": ["What is the total {c} for {v}?", "What is the total {c} when {w} is {v}?",
            "Sum the {c} of {v}.", "total {c} where {w} is {v}",
            "How much {c} in total for {w} {v}?"],
    "AVG": ["What is the average {c} for {v}?", "What is the average {c} when {w} is {v}?",
            "average {c} of {w} {v}", "What's the mean {c} where {w} is {v}?"],
}
GENERIC_NOUNS = ["rows", "entries", "records", "items", "results"]
NAME_HEADER = re.compile(
    r"^(name|player|driver|rider|artist|winner|candidate|coach|manager|director|writer|"
    r"author|pilot|athlete|member|actor|singer|head coach|incumbent|opponent|"
    r"player name|full name)$", re.I)
NAME_WORD = re.compile(r"^[^\W\d_][\w'.-]*$", re.U)
ABBREV = {"number": "no", "quantity": "qty", "department": "dept", "amount": "amt",
          "average": "avg", "percent": "pct", "percentage": "pct", "population": "pop",
          "year": "yr", "address": "addr", "description": "desc", "position": "pos",
          "employee": "emp", "manager": "mgr", "count": "cnt", "total": "tot",
          "points": "pts", "date": "dt", "season": "ssn", "team": "tm", "goals": "gls",
          "games": "gms", "height": "ht", "weight": "wt", "country": "ctry", "name": "nm"}


def plural(word):
    w = word.lower().strip()
    if not w or not re.match(r"^[a-z][a-z ]*$", w):
        return None
    if w.endswith(("s", "x", "ch", "sh")):
        return w + "es" if not w.endswith("s") else w
    if w.endswith("y") and len(w) > 1 and w[-2] not in "aeiou":
        return w[:-1] + "ies"
    return w + "s"


def noun_for(table, rng):
    """What a row is called: the first column's header in the plural, or a generic noun."""
    p = plural(table["header"][0]) if rng.random() < 0.6 else None
    return p or rng.choice(GENERIC_NOUNS)


def col_text(h):
    return h.lower().strip()


def cell_text(v):
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def numeric_cols(table):
    return [i for i, t in enumerate(table["types"]) if t == "real"
            and sum(isinstance(r[i], (int, float)) for r in table["rows"]) >= 2]


def text_cols(table):
    return [i for i, t in enumerate(table["types"]) if t == "text"]


def example(question, table, sel, agg, conds):
    q = question[0].upper() + question[1:] if question and random.random() < 0.7 else question
    return {"question": q, "table": table,
            "sql": {"sel": sel, "agg": agg, "conds": [list(c) for c in conds]}}


def gen_whole(table, rng):
    out = []
    out.append(example(rng.choice(COUNT_WHOLE).format(n=noun_for(table, rng)), table, 0, 3, []))
    nums = numeric_cols(table)
    if nums:
        c = rng.choice(nums)
        agg = rng.choice(["SUM", "AVG", "AVG", "SUM", "MAX", "MIN"])
        q = rng.choice(AGG_WHOLE[agg]).format(c=col_text(table["header"][c]))
        out.append(example(q, table, c, AGG[agg], []))
    if rng.random() < 0.5:
        c = rng.randrange(len(table["header"]))
        out.append(example(rng.choice(LIST_WHOLE).format(c=col_text(table["header"][c])),
                           table, c, 0, []))
    return out


def gen_count(table, rng):
    texts = [c for c in text_cols(table) if table["rows"]]
    if not texts or not table["rows"]:
        return []
    w = rng.choice(texts)
    v = cell_text(rng.choice(table["rows"])[w]).strip()
    if not v or len(v) > 40:
        return []
    out = [example(rng.choice(COUNT_COND).format(n=noun_for(table, rng),
                                                 w=col_text(table["header"][w]), v=v),
                   table, 0, 3, [(w, 0, v)])]
    nums = [c for c in numeric_cols(table) if c != w]
    if nums and rng.random() < 0.6:
        c = rng.choice(nums)
        agg = rng.choice(["SUM", "AVG"])
        q = rng.choice(AGG_COND[agg]).format(c=col_text(table["header"][c]),
                                             w=col_text(table["header"][w]), v=v)
        out.append(example(q, table, c, AGG[agg], [(w, 0, v)]))
    return out


def gen_quoted(ex, rng):
    conds = ex["sql"]["conds"]
    texts = [c for c in conds if isinstance(c[2], str) and len(c[2]) > 1]
    if not texts:
        return None
    v = rng.choice(texts)[2]
    i = ex["question"].lower().find(v.lower())
    if i < 0:
        return None
    q = ex["question"]
    mark = rng.choice(['"', '"', "'", "“"])
    close = "”" if mark == "“" else mark
    q = q[:i] + mark + q[i:i + len(v)] + close + q[i + len(v):]
    return {"question": q, "table": ex["table"], "sql": ex["sql"]}


def name_column(table):
    for i, h in enumerate(table["header"]):
        if table["types"][i] != "text" or not NAME_HEADER.match(h.strip()):
            continue
        cells = [cell_text(r[i]).split() for r in table["rows"]]
        two = [c for c in cells if len(c) == 2 and all(NAME_WORD.match(x) for x in c)]
        if cells and len(two) >= 0.7 * len(cells):
            return i
    return None


def split_names(table, i, rng):
    style = rng.choice([("first name", "last name"), ("first_name", "last_name"),
                        ("firstName", "lastName"), ("given name", "surname")])
    header = table["header"][:i] + list(style) + table["header"][i + 1:]
    types = table["types"][:i] + ["text", "text"] + table["types"][i + 1:]
    rows = []
    for r in table["rows"]:
        parts = cell_text(r[i]).split()
        first, last = (parts[0], " ".join(parts[1:])) if len(parts) >= 2 else (cell_text(r[i]), "")
        rows.append(r[:i] + [first, last] + r[i + 1:])
    return {"id": table["id"] + "-names", "header": header, "types": types, "rows": rows}


def rewrite_for_names(ex, i, new_table):
    sql = ex["sql"]
    if sql["sel"] == i:
        return None
    shift = lambda c: c + 1 if c > i else c
    conds, person = [], False
    for c, op, v in sql["conds"]:
        if c == i:
            parts = str(v).split()
            if op != 0 or len(parts) != 2 or v.lower() not in ex["question"].lower():
                return None
            conds += [[i, 0, parts[0]], [i + 1, 0, parts[1]]]
            person = True
        else:
            conds.append([shift(c), op, v])
    if not person:
        return None
    return {"question": ex["question"], "table": new_table,
            "sql": {"sel": shift(sql["sel"]), "agg": sql["agg"], "conds": conds}}


def code_header(h, style, rng):
    words = re.findall(r"[a-z0-9]+", h.lower())
    if not words:
        return h
    if style == "abbrev":
        words = [ABBREV.get(w, w[:4] if len(w) > 7 and rng.random() < 0.5 else w) for w in words]
        return "_".join(words)
    if style == "snake":
        return "_".join(words)
    camel = words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])
    return camel[:1].upper() + camel[1:] if style == "pascal" else camel


def with_code_headers(table, rng):
    style = rng.choice(["snake", "camel", "pascal", "abbrev", "abbrev"])
    header = [code_header(h, style, rng) for h in table["header"]]
    return {"id": f"{table['id']}-{style}", "header": header, "types": table["types"],
            "rows": table["rows"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", default="data/dataset_files/train.jsonl")
    ap.add_argument("--out", default="data/generated/train.jsonl")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--kinds", default="whole,count,quoted,names,headers")
    ap.add_argument("--share", type=float, default=0.4,
                    help="share of train tables that get whole-column and count questions")
    a = ap.parse_args()
    kinds = set(a.kinds.split(","))
    rng = random.Random(a.seed)
    random.seed(a.seed)

    by_table = defaultdict(list)
    tables = {}
    with open(a.train) as f:
        for line in f:
            ex = json.loads(line)
            tables.setdefault(ex["table"]["id"], ex["table"])
            by_table[ex["table"]["id"]].append(ex)
    out, counts = [], Counter()
    for tid in sorted(tables):
        table, exs = tables[tid], by_table[tid]
        if "whole" in kinds and rng.random() < a.share:
            for e in gen_whole(table, rng):
                out.append(e)
                counts["whole"] += 1
        if "count" in kinds and rng.random() < a.share * 0.6:
            for e in gen_count(table, rng):
                out.append(e)
                counts["count"] += 1
        if "quoted" in kinds and rng.random() < 0.2:
            e = gen_quoted(rng.choice(exs), rng)
            if e:
                out.append(e)
                counts["quoted"] += 1
        if "names" in kinds:
            i = name_column(table)
            if i is not None:
                new_table = split_names(table, i, rng)
                for ex in exs:
                    e = rewrite_for_names(ex, i, new_table)
                    if e:
                        out.append(e)
                        counts["names"] += 1
        if "headers" in kinds and rng.random() < 0.15:
            coded = with_code_headers(table, rng)
            for ex in exs[:3]:
                out.append({"question": ex["question"], "table": coded, "sql": ex["sql"]})
                counts["headers"] += 1
            if "whole" in kinds:
                for e in gen_whole(coded, rng)[:1]:
                    out.append(e)
                    counts["headers+whole"] += 1
    rng.shuffle(out)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    with open(a.out, "w") as f:
        for e in out:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")
    print(f"{len(out)} questions from {len(tables)} tables -> {a.out}: " +
          ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), file=sys.stderr)


if __name__ == "__main__":
    main()
