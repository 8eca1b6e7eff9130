#!/usr/bin/env python3
"""Validate the hand-written OOD set in data/ood/source/ and print its mix as a markdown table.

Usage: python3 data/ood/mix.py [SOURCE_DIR]

Python 3 standard library only. Exits 1 (after listing every problem on stderr) if anything is
wrong: JSON shape, ids, indices, types vs cells, gold queries that return nothing on an in-memory
SQLite copy of the table, condition values that are not cells / not recoverable from the question,
table ids shared by the two parts, or counts/mix outside the targets written in README.md.
"""
import json
import math
import os
import re
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
AGGS = ["", "MAX", "MIN", "COUNT", "SUM", "AVG"]
OPS = ["=", ">", "<"]
KINDS = ["ORDER BY/LIMIT", "GROUP BY", "OR", "other"]
PARTS = ["dev", "test"]
MIN_QUESTIONS = {"dev": 210, "test": 105}
MIN_TABLES = {"dev": 14, "test": 7}
MIN_Q_PER_TABLE = 8
ID_RE = re.compile(r"^ood-[a-z0-9]+(-[a-z0-9]+)*$")
NUM_RE = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?")
UNIT_BEFORE = re.compile(r"[$€£]\s?$")
UNIT_AFTER = re.compile(
    r"^\s?(?:(?:million )?km|kg|mg|oz|u|atomic mass units|min|mins|minutes|hours?|hrs?|days?|nights?|"
    r"years?|yrs?|sq ft|square feet|inch|inches|cm|mph|miles?|%|percent)\b", re.I)
# Targets (shares of a part's in-sketch questions); see README.md.
RANGES = {
    "no condition": (0.18, 0.28),
    "COUNT": (0.23, 0.32),
    "AVG": (0.07, 0.13),
    "SUM": (0.04, 0.09),
    "MAX or MIN": (0.07, 0.16),
    "2+ conditions": (0.10, 0.22),
}
MIN_COUNTS = {"3 conditions": 2, "names split over columns": 3, "value in quotes": 3,
              "number with a unit": 5}
OUTSIDE_SHARE = (0.08, 0.12)

problems = []


def bad(where, msg):
    problems.append(f"{where}: {msg}")


def load_jsonl(path):
    out = []
    if not os.path.exists(path):
        bad(path, "missing")
        return out
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                bad(f"{path}:{n}", "blank line")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                bad(f"{path}:{n}", f"not JSON ({e})")
                continue
            if not isinstance(obj, dict):
                bad(f"{path}:{n}", "not a JSON object")
                continue
            out.append((f"{os.path.basename(path)}:{n}", obj))
    return out


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def norm(h):
    return re.sub(r"[^a-z]", "", h.lower())


def is_first(h):
    n = norm(h)
    return "first" in n or n == "fname"


def is_last(h):
    n = norm(h)
    return "last" in n or n in ("lname", "surname")


def code_like(h):
    return "_" in h or re.search(r"[a-z][A-Z]", h) is not None or re.fullmatch(r"[a-z0-9]+", h) is not None


def qid(col):
    return '"' + col.replace('"', '""') + '"'


def check_table(where, t):
    if set(t) != {"id", "header", "types", "rows"}:
        bad(where, f"table keys {sorted(t)} != ['header', 'id', 'rows', 'types']")
        return False
    tid, header, types, rows = t["id"], t["header"], t["types"], t["rows"]
    ok = True
    if not isinstance(tid, str) or not ID_RE.match(tid):
        bad(where, f"bad table id {tid!r}")
        ok = False
    if not isinstance(header, list) or not 3 <= len(header) <= 9:
        bad(where, "header must be a list of 3 to 9 columns")
        return False
    if not all(isinstance(h, str) and h.strip() == h and h for h in header):
        bad(where, "header cells must be non-empty strings without outer spaces")
        ok = False
    elif len({h.lower() for h in header}) != len(header):
        bad(where, "duplicate column names")
        ok = False
    if not isinstance(types, list) or len(types) != len(header) or any(x not in ("real", "text") for x in types):
        bad(where, "types must be 'real'/'text', one per column")
        return False
    if not isinstance(rows, list) or not 8 <= len(rows) <= 40:
        bad(where, "rows must be a list of 8 to 40 rows")
        return False
    seen = set()
    for i, r in enumerate(rows):
        if not isinstance(r, list) or len(r) != len(header):
            bad(where, f"row {i} has the wrong width")
            ok = False
            continue
        for j, (c, ty) in enumerate(zip(r, types)):
            if ty == "real" and not is_num(c):
                bad(where, f"row {i} col {header[j]!r}: real column holds {c!r}")
                ok = False
            if ty == "text" and (not isinstance(c, str) or not c.strip() or c != c.strip()):
                bad(where, f"row {i} col {header[j]!r}: text column holds {c!r}")
                ok = False
        key = json.dumps(r)
        if key in seen:
            bad(where, f"row {i} duplicates an earlier row")
        seen.add(key)
    for j, ty in enumerate(types):
        if len({json.dumps(r[j]).lower() for r in rows if isinstance(r, list) and len(r) == len(header)}) < 2:
            bad(where, f"column {header[j]!r} holds a single value")
    return ok


def make_db(t):
    db = sqlite3.connect(":memory:")
    cols = ", ".join(f"{qid(h)} {'REAL' if ty == 'real' else 'TEXT'}" for h, ty in zip(t["header"], t["types"]))
    db.execute(f"CREATE TABLE t ({cols})")
    db.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(t['header']))})", t["rows"])
    return db


def question_numbers(q):
    return [float(m.group().replace(",", "")) for m in NUM_RE.finditer(q)]


def has_unit(q, values):
    """True if one of the numeric condition values is written with a unit ($20, 5 km, 3 nights)."""
    for m in NUM_RE.finditer(q):
        if any(abs(float(m.group().replace(",", "")) - v) < 1e-9 for v in values):
            if UNIT_BEFORE.search(q[:m.start()]) or UNIT_AFTER.match(q[m.end():]):
                return True
    return False


def check_question(where, obj, tables, part):
    """Returns a feature dict, or None when the line is invalid."""
    if set(obj) != {"table_id", "question", "sql"}:
        bad(where, f"question keys {sorted(obj)} != ['question', 'sql', 'table_id']")
        return None
    t = tables.get(obj["table_id"])
    if t is None:
        bad(where, f"table {obj['table_id']!r} is not in {part}.tables.jsonl")
        return None
    q, sql = obj["question"], obj["sql"]
    if not isinstance(q, str) or not q.strip():
        bad(where, "empty question")
        return None
    if not isinstance(sql, dict) or set(sql) != {"sel", "agg", "conds"}:
        bad(where, "sql must have exactly sel, agg, conds")
        return None
    header, types = t["header"], t["types"]
    sel, agg, conds = sql["sel"], sql["agg"], sql["conds"]
    if not (isinstance(sel, int) and not isinstance(sel, bool) and 0 <= sel < len(header)):
        bad(where, f"sel {sel!r} out of range")
        return None
    if not (isinstance(agg, int) and not isinstance(agg, bool) and 0 <= agg < len(AGGS)):
        bad(where, f"agg {agg!r} out of range")
        return None
    if AGGS[agg] in ("MAX", "MIN", "SUM", "AVG") and types[sel] != "real":
        bad(where, f"{AGGS[agg]} over text column {header[sel]!r}")
    if AGGS[agg] == "COUNT" and sel != 0:
        bad(where, "COUNT must select the table's first column")
    if not isinstance(conds, list) or len(conds) > 4:
        bad(where, "conds must be a list of at most 4 conditions")
        return None
    ql = q.lower()
    qnums = question_numbers(q)
    where_sql, args, seen = [], [], set()
    for c in conds:
        if not (isinstance(c, list) and len(c) == 3):
            bad(where, f"condition {c!r} is not [col, op, value]")
            return None
        col, op, val = c
        if not (isinstance(col, int) and not isinstance(col, bool) and 0 <= col < len(header)):
            bad(where, f"condition column {col!r} out of range")
            return None
        if not (isinstance(op, int) and not isinstance(op, bool) and 0 <= op < len(OPS)):
            bad(where, f"condition operator {op!r} out of range")
            return None
        if (col, op) in seen:
            bad(where, f"condition ({header[col]!r}, {OPS[op]}) repeated")
        seen.add((col, op))
        if types[col] == "text":
            if op != 0:
                bad(where, f"{OPS[op]} on text column {header[col]!r}")
            if not isinstance(val, str):
                bad(where, f"value {val!r} for text column {header[col]!r} must be a string")
                return None
            if val not in [r[col] for r in t["rows"]]:
                near = [r[col] for r in t["rows"] if r[col].lower() == val.lower()]
                bad(where, f"value {val!r} is not a cell of {header[col]!r}" + (f" (cell is {near[0]!r})" if near else ""))
            if val.lower() not in ql:
                bad(where, f"value {val!r} not found in the question text")
            where_sql.append(f"lower({qid(header[col])}) = lower(?)")
        else:
            if not is_num(val):
                bad(where, f"value {val!r} for real column {header[col]!r} must be a JSON number")
                return None
            if not any(abs(n - val) < 1e-9 for n in qnums):
                bad(where, f"number {val!r} not found in the question text")
            where_sql.append(f"{qid(header[col])} {OPS[op]} ?")
        args.append(val)
    db = make_db(t)
    w = (" WHERE " + " AND ".join(where_sql)) if where_sql else ""
    expr = qid(header[sel]) if agg == 0 else f"{AGGS[agg]}({qid(header[sel])})"
    matched = db.execute(f"SELECT COUNT(*) FROM t{w}", args).fetchone()[0]
    result = db.execute(f"SELECT {expr} FROM t{w}", args).fetchall()
    if matched == 0 or not result or result[0][0] is None:
        bad(where, f"gold query returns nothing: SELECT {expr} FROM t{w} {args}")
    cond_cols = [c[0] for c in conds]
    num_vals = [c[2] for c in conds if types[c[0]] == "real"]
    quoted = [m.group(1) or m.group(2) for m in re.finditer(r'"([^"]+)"|“([^”]+)”', q)]
    text_vals = [str(c[2]).lower() for c in conds if types[c[0]] == "text"]
    return {
        "table": t["id"],
        "ncond": len(conds),
        "agg": AGGS[agg],
        "quoted": any(s.lower() in text_vals for s in quoted),
        "split": any(is_first(header[a]) for a in cond_cols) and any(is_last(header[b]) for b in cond_cols),
        "unit": has_unit(q, num_vals),
        "codelike": any(code_like(h) for h in header),
        "text": ql.strip(),
        "lower": q[:1].islower(),
        "noqmark": not q.rstrip().endswith("?"),
    }


def check_outside(where, obj, tables, part):
    if set(obj) != {"table_id", "question", "outside", "gold_sql"}:
        bad(where, f"outside keys {sorted(obj)} != ['gold_sql', 'outside', 'question', 'table_id']")
        return None
    t = tables.get(obj["table_id"])
    if t is None:
        bad(where, f"table {obj['table_id']!r} is not in {part}.tables.jsonl")
        return None
    if obj["outside"] not in KINDS:
        bad(where, f"outside kind {obj['outside']!r} not one of {KINDS}")
    q, sql = obj["question"], obj["gold_sql"]
    if not isinstance(q, str) or not q.strip():
        bad(where, "empty question")
        return None
    if not isinstance(sql, str) or not sql.upper().startswith("SELECT "):
        bad(where, "gold_sql must be a SELECT")
        return None
    try:
        res = make_db(t).execute(sql).fetchall()
        if not res or all(v is None for v in res[0]):
            bad(where, "gold_sql returns nothing")
    except sqlite3.Error as e:
        bad(where, f"gold_sql fails on SQLite: {e}")
    return {"table": t["id"], "kind": obj["outside"], "text": q.lower().strip()}


def pct(n, d):
    return f"{100.0 * n / d:.1f}%" if d else "-"


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "source")
    stats, all_ids = {}, {}
    for part in PARTS:
        tables = {}
        for where, t in load_jsonl(os.path.join(src, f"{part}.tables.jsonl")):
            if check_table(where, t):
                if t["id"] in tables or t["id"] in all_ids:
                    bad(where, f"table id {t['id']!r} used twice")
                tables[t["id"]] = t
        for tid in tables:
            all_ids[tid] = part
        qs = [f for w, o in load_jsonl(os.path.join(src, f"{part}.jsonl"))
              if (f := check_question(w, o, tables, part)) is not None]
        outs = [f for w, o in load_jsonl(os.path.join(src, f"{part}.outside.jsonl"))
                if (f := check_outside(w, o, tables, part)) is not None]
        texts = [f["text"] for f in qs + outs]
        for x in sorted({x for x in texts if texts.count(x) > 1}):
            bad(part, f"question asked twice: {x!r}")
        for tid in tables:
            n = sum(f["table"] == tid for f in qs)
            if n < MIN_Q_PER_TABLE:
                bad(part, f"table {tid} has {n} in-sketch questions (< {MIN_Q_PER_TABLE})")
        stats[part] = (tables, qs, outs)

    rows = []  # (label, {part: (n, base)})

    def add(label, fn, base="in", target=None):
        cells = {}
        for part in PARTS:
            tables, qs, outs = stats[part]
            if base == "in":
                n, d = sum(1 for f in qs if fn(f)), len(qs)
            elif base == "out":
                n, d = sum(1 for f in outs if fn(f)), len(outs)
            else:
                n, d = fn(part), base(part)
            cells[part] = (n, d)
        rows.append((label, cells, target))
        return cells

    add("in-sketch questions", lambda f: True, base="in")
    add("tables", lambda p: len(stats[p][0]), base=lambda p: len(stats[p][0]))
    c = {}
    c["no condition"] = add("no condition", lambda f: f["ncond"] == 0, target="18-28%")
    add("1 condition", lambda f: f["ncond"] == 1)
    c["2+ conditions"] = add("2+ conditions", lambda f: f["ncond"] >= 2, target="10-22%")
    add("  of which 2 conditions", lambda f: f["ncond"] == 2)
    c["3 conditions"] = add("  of which 3 conditions", lambda f: f["ncond"] == 3, target=">= 2")
    for a in AGGS:
        lab = "no aggregation" if a == "" else a
        cc = add(f"agg {lab}", lambda f, a=a: f["agg"] == a,
                 target={"COUNT": "23-32%", "AVG": "7-13%", "SUM": "4-9%"}.get(a))
        if a in RANGES:
            c[a] = cc
    c["MAX or MIN"] = add("agg MAX or MIN", lambda f: f["agg"] in ("MAX", "MIN"), target="7-16%")
    c["value in quotes"] = add("value in quotes", lambda f: f["quoted"], target=">= 3")
    c["names split over columns"] = add("name split over first/last columns", lambda f: f["split"], target=">= 3")
    add("question starts in lowercase", lambda f: f["lower"])
    add("question without a question mark", lambda f: f["noqmark"])
    add("questions on tables with snake_case/camelCase/code-like headers", lambda f: f["codelike"])
    code_tables = add("tables with snake_case/camelCase/code-like headers",
                      lambda p: sum(any(code_like(h) for h in t["header"]) for t in stats[p][0].values()),
                      base=lambda p: len(stats[p][0]), target=">= 50%")
    c["number with a unit"] = add("numeric condition with a unit ($, km, min, ...)", lambda f: f["unit"], target=">= 5")
    add("outside-sketch questions (share of part total)", lambda p: len(stats[p][2]),
        base=lambda p: len(stats[p][1]) + len(stats[p][2]), target="8-12%")
    for k in KINDS:
        add(f"  outside: {k}", lambda f, k=k: f["kind"] == k, base="out")

    # targets
    for part in PARTS:
        tables, qs, outs = stats[part]
        if len(qs) < MIN_QUESTIONS[part]:
            bad(part, f"{len(qs)} in-sketch questions (< {MIN_QUESTIONS[part]})")
        if len(tables) < MIN_TABLES[part]:
            bad(part, f"{len(tables)} tables (< {MIN_TABLES[part]})")
        for label, (lo, hi) in RANGES.items():
            n, d = c[label][part]
            if d and not lo <= n / d <= hi:
                bad(part, f"{label}: {pct(n, d)} outside {lo:.0%}-{hi:.0%}")
        for label, lo in MIN_COUNTS.items():
            if c[label][part][0] < lo:
                bad(part, f"{label}: {c[label][part][0]} (< {lo})")
        n, d = code_tables[part]
        if 2 * n < d:
            bad(part, f"only {n} of {d} tables have code-like headers")
        share = len(outs) / max(1, len(qs) + len(outs))
        if not OUTSIDE_SHARE[0] <= share <= OUTSIDE_SHARE[1]:
            bad(part, f"outside-sketch share {share:.1%} outside {OUTSIDE_SHARE[0]:.0%}-{OUTSIDE_SHARE[1]:.0%}")
        for k in KINDS:
            if not any(f["kind"] == k for f in outs):
                bad(part, f"no outside-sketch question of kind {k!r}")

    # table
    print("| | dev (tune) | % | test (report) | % | all | % | target per part |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for label, cells, target in rows:
        n1, d1 = cells["dev"]
        n2, d2 = cells["test"]
        same_base = label in ("in-sketch questions", "tables")
        p1 = "" if same_base else pct(n1, d1)
        p2 = "" if same_base else pct(n2, d2)
        p3 = "" if same_base else pct(n1 + n2, d1 + d2)
        print(f"| {label} | {n1} | {p1} | {n2} | {p2} | {n1 + n2} | {p3} | {target or ''} |")
    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        sys.exit(1)
    print(f"\nOK: {sum(len(s[1]) for s in stats.values())} in-sketch + "
          f"{sum(len(s[2]) for s in stats.values())} outside-sketch questions on "
          f"{sum(len(s[0]) for s in stats.values())} tables validated.", file=sys.stderr)


if __name__ == "__main__":
    main()
