#!/usr/bin/env python3
"""Validate the hand-written OOD set in data/ood/source/ and print its mix as markdown tables.

Usage: python3 data/ood/mix.py [SOURCE_DIR]
       python3 data/ood/mix.py [SOURCE_DIR] --overlap GENERATED.jsonl [--show]

Python 3 standard library only. Exits 1 (after listing every problem on stderr) if anything is
wrong: JSON shape, ids, indices, types vs cells, gold queries that return nothing on an in-memory
SQLite copy of the table, condition values that are not cells / not recoverable from the question,
family golds that break the rules of FAMILY.md, hand-written SQL that does not run (or names a
mixed-case column without quotes, which PostgreSQL would not find), table ids shared by the two
parts, masked question skeletons repeated too often, or counts/mix outside the targets written in
README.md.

--overlap GENERATED.jsonl: reads generated training questions (JSON lines with "question" and
either an inline "table" {"header", "rows", ...} or a "table_id"), masks them and the report
part's family and outside questions the same way (see `skeleton`), and prints the share of report
questions whose masked token sequence is within 2 token edits of a generated one; exits 1 if that
share is above 5% (or if the set itself does not validate). --show lists the matches, report
questions included: keep that output away from the generator's author.
"""
import json
import math
import os
import re
import sqlite3
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
AGGS = ["", "MAX", "MIN", "COUNT", "SUM", "AVG"]
OPS = ["=", ">", "<"]
PARTS = ["dev", "test"]
MIN_QUESTIONS = {"dev": 210, "test": 105}
MIN_TABLES = {"dev": 14, "test": 7}
MIN_Q_PER_TABLE = 8  # in-sketch + family questions on each table
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

# The 23 tables and 41 outside-sketch lines written on 2026-12-04; everything else came later.
ORIGINAL_TABLES = {
    "dev": ["ood-bakery-orders", "ood-library-loans", "ood-gym-members", "ood-planets",
            "ood-bike-shop-inventory", "ood-clinic-appointments", "ood-delivery-vans",
            "ood-festival-lineup", "ood-school-grades", "ood-chemical-elements",
            "ood-coffee-shop-menu", "ood-company-staff", "ood-hotel-bookings",
            "ood-marathon-results", "ood-parking-tickets"],
    "test": ["ood-olympic-hosts", "ood-pet-adoptions", "ood-flight-departures",
             "ood-rental-listings", "ood-volunteer-roster", "ood-us-states",
             "ood-warehouse-shipments", "ood-course-catalog"],
}
ORIGINAL_OUTSIDE = {  # (table id, question)
    "dev": [
        ("ood-bakery-orders", "Which customer placed the most orders?"),
        ("ood-bakery-orders", "What was the total value of all orders (qty times price)?"),
        ("ood-library-loans", "Which book has been borrowed the most times?"),
        ("ood-library-loans", "Show loans from Eastside or Riverside"),
        ("ood-gym-members", "Who is the oldest member?"),
        ("ood-gym-members", "How many members are on each plan?"),
        ("ood-planets", "Which planet is the largest?"),
        ("ood-planets", "What is the second closest planet to the Sun?"),
        ("ood-bike-shop-inventory", "Which brand has the most bikes in stock in total?"),
        ("ood-bike-shop-inventory", "What is the total value of the stock (price times quantity)?"),
        ("ood-clinic-appointments", "Which doctor has the most scheduled appointments?"),
        ("ood-clinic-appointments", "List appointments with Dr. Osei or Dr. Chaudhry"),
        ("ood-delivery-vans", "Which van has the lowest mileage?"),
        ("ood-festival-lineup", "Who plays last on Friday?"),
        ("ood-school-grades", "Who has the highest math score in the Spring term?"),
        ("ood-chemical-elements", "Which is the lightest element?"),
        ("ood-coffee-shop-menu", "What's the most caffeinated drink?"),
        ("ood-coffee-shop-menu", "Show drinks with oat or almond milk"),
        ("ood-company-staff", "Average salary per department"),
        ("ood-company-staff", "Who is the longest-serving employee?"),
        ("ood-hotel-bookings", "Which booking channel brings in the most revenue?"),
        ("ood-hotel-bookings", "Which guest spent the most on a single booking?"),
        ("ood-marathon-results", "Who won the race?"),
        ("ood-marathon-results", "What is the fastest time in each division?"),
        ("ood-parking-tickets", "Which street has the most tickets?"),
        ("ood-parking-tickets", "Show tickets issued between Jan 10 and Jan 20"),
    ],
    "test": [
        ("ood-olympic-hosts", "Which country has hosted the most Games?"),
        ("ood-olympic-hosts", "Which cities hosted both the Summer and the Winter games?"),
        ("ood-pet-adoptions", "Which is the oldest animal in the shelter?"),
        ("ood-pet-adoptions", "How many animals of each species do we have?"),
        ("ood-flight-departures", "What is the next flight to Chicago after 08:00?"),
        ("ood-flight-departures", "Which airline has the most delayed flights?"),
        ("ood-rental-listings", "What's the cheapest 2-bedroom?"),
        ("ood-rental-listings", "Average rent by neighborhood"),
        ("ood-volunteer-roster", "Who has logged the most hours?"),
        ("ood-us-states", "Which state was admitted most recently?"),
        ("ood-us-states", "How many states are there per region?"),
        ("ood-warehouse-shipments", "Which carrier moved the most weight?"),
        ("ood-warehouse-shipments", "What is the cost per kg of each shipment?"),
        ("ood-course-catalog", "Which course has the largest capacity?"),
        ("ood-course-catalog", "List courses in Art or Philosophy"),
    ],
}
OLD_KINDS = ["ORDER BY/LIMIT", "GROUP BY", "OR", "other"]  # the original lines' kinds
NEW_KINDS = ["OFFSET", "arithmetic", "nested", "two tables", "other"]  # kinds of lines added later
KINDS = OLD_KINDS + [k for k in NEW_KINDS if k not in OLD_KINDS]
COUNTED_KINDS = ["OFFSET", "arithmetic", "nested", "two tables"]  # count as "new questions"
REQUIRED_KINDS = ["OFFSET", "arithmetic", "nested"]  # in each part

# The query family (FAMILY.md).
FAMILY_AGGS = ["", "max", "min", "sum", "avg", "count", "count_distinct"]
CMP_OPS = ["=", "!=", ">", "<", ">=", "<="]
COND_OPS = CMP_OPS + ["between", "like", "not like"]
MATCHES = ["contains", "starts", "ends"]
FAMILY_KEYS = ["select", "distinct", "where", "connector", "group_by", "having", "order_by", "limit"]
# As crates/data/src/types/family.rs `Shape` (key, name); a question has every shape it matches.
SHAPES = [("sketch", "in WikiSQL's sketch"), ("ranking", "ranking (ORDER BY)"),
          ("grouping", "grouping (GROUP BY)"), ("columns", "several columns"),
          ("having", "HAVING"), ("or", "OR"), ("ne", "!="), ("orequal", ">= / <="),
          ("like", "LIKE"), ("between", "BETWEEN"), ("distinct", "DISTINCT"),
          ("count_distinct", "COUNT(DISTINCT)"), ("date", "dates")]
# Targets on the report part ("test") and on both parts together; see README.md.
REPORT_SHAPE_MIN = {"ranking": 20, "grouping": 20, "columns": 20, "having": 8, "or": 8, "ne": 8,
                    "like": 8, "between": 8, "distinct": 8, "count_distinct": 8, "date": 8}
REPORT_NON_ISO_DATE_MIN = 4
REPORT_NEW_OUTSIDE_MIN = 8
NEW_QUESTIONS_MIN = {"all": 400, "test": 160}
TABLES_MIN = {"all": 25, "new": 10, "test": 10}
OUTSIDE_MIN = 15  # outside-family questions ("Not sure") per part ...
OUTSIDE_MAX_SHARE = 0.10  # ... and at most this share of the part's questions
MAX_SAME_SKELETON = 3  # questions per part (family + new outside lines) sharing one masked skeleton
OVERLAP_EDITS = 2
OVERLAP_MAX_SHARE = 0.05

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


# ---- dates written as text (a port of crates/data/src/dates.rs) ----------------------------------

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]


def month_number(word):
    w = word.rstrip(".").lower()
    if len(w) < 3:
        return None
    for i, full in enumerate(MONTHS):
        if w.startswith(full[:3]):
            return i + 1 if full.startswith(w) or w == "sept" else None
    return None


def date_key(y, m, d):
    if None in (y, m, d):
        return None
    return y * 10000 + m * 100 + d if 1 <= m <= 12 and 1 <= d <= 31 and 1000 <= y <= 9999 else None


def digits(s, lo, hi):
    return int(s) if lo <= len(s) <= hi and s.isascii() and s.isdigit() else None


def numeric_parts(s):
    sep = next((c for c in "/-." if c in s), None)
    if sep is None:
        return None
    parts = s.split(sep)
    if len(parts) != 3:
        return None
    a, b, y = digits(parts[0], 1, 2), digits(parts[1], 1, 2), digits(parts[2], 4, 4)
    return None if None in (a, b, y) else (a, b, y, sep)


def date_format(text):
    """The form of one cell's date: ('iso',), ('dmy', sep), ('mdy', sep), ('ambiguous', sep),
    ('day month',), ('month day',); None when it is no date."""
    s = text.strip()
    raw = s.encode("utf-8")
    if len(raw) >= 10 and raw[4:5] == b"-" and raw[7:8] == b"-" and (len(raw) == 10 or raw[10:11] in (b" ", b"T")):
        try:
            d = raw[:10].decode("ascii")
        except UnicodeDecodeError:
            return None
        y, m, dd = digits(d[:4], 4, 4), digits(d[5:7], 2, 2), digits(d[8:], 2, 2)
        if None in (y, m, dd):
            return None
        if date_key(y, m, dd) is not None:
            return ("iso",)
    p = numeric_parts(s)
    if p is not None:
        a, b, y, sep = p
        day_first, month_first = date_key(y, b, a) is not None, date_key(y, a, b) is not None
        if day_first and month_first:
            return ("ambiguous", sep)
        return ("dmy", sep) if day_first else ("mdy", sep) if month_first else None
    words = [w for w in s.split(" ") if w]
    if len(words) == 3:
        d, m, y = words
        if digits(d, 1, 2) is not None and month_number(m) and digits(y, 4, 4) is not None:
            return ("day month",) if date_key(digits(y, 4, 4), month_number(m), digits(d, 1, 2)) else None
        day = m.rstrip(",")
        if month_number(d) and digits(day, 1, 2) is not None and digits(y, 4, 4) is not None:
            return ("month day",) if date_key(digits(y, 4, 4), month_number(d), digits(day, 1, 2)) else None
    return None


def column_date_format(t, col):
    """The date form every cell of text column `col` is written in, or None."""
    if t["types"][col] != "text":
        return None
    found, cells = None, 0
    for r in t["rows"]:
        text = r[col]
        if not isinstance(text, str) or not text.strip():
            continue
        cells += 1
        this = date_format(text)
        if this is None:
            return None
        if found is None or found == this:
            found = this
        elif found[0] == "ambiguous" and this[0] in ("dmy", "mdy") and found[1] == this[1]:
            found = this
        elif this[0] == "ambiguous" and found[0] in ("dmy", "mdy") and found[1] == this[1]:
            pass
        else:
            return None
    return found if cells else None


def date_key_of(fmt, text):
    s = text.strip()
    own = date_format(s)
    if own is None:
        return None
    if fmt[0] == "iso" and own[0] == "iso":
        return date_key(int(s[:4]), int(s[5:7]), int(s[8:10]))
    if fmt[0] in ("dmy", "mdy") and own[0] in ("dmy", "mdy", "ambiguous"):
        a, b, y, _ = numeric_parts(s)
        return date_key(y, b, a) if fmt[0] == "dmy" else date_key(y, a, b)
    w = [x for x in s.split(" ") if x]
    if fmt[0] == "day month" and own[0] == "day month":
        return date_key(int(w[2]), month_number(w[1]), int(w[0]))
    if fmt[0] == "month day" and own[0] == "month day":
        return date_key(int(w[2]), month_number(w[0]), int(w[1].rstrip(",")))
    return None


def date_span(text, column):
    """(lo, hi) date keys of a day, month ("March 2024") or year ("2023") written in a question
    value, read for a column in form `column`; None when it is none of these."""
    s = text.strip()
    f = date_format(s)
    if f is not None:
        if f[0] == "ambiguous":
            k = date_key_of(column, s) if column[0] in ("dmy", "mdy") else None
        else:
            k = date_key_of(f, s)
        return None if k is None else (k, k)
    y = digits(s, 4, 4)
    if y is not None:
        lo, hi = date_key(y, 1, 1), date_key(y, 12, 31)
        return None if lo is None else (lo, hi)
    words = [w for w in s.split(" ") if w]
    if len(words) == 2:
        m, y = month_number(words[0].rstrip(",")), digits(words[1], 4, 4)
        lo, hi = date_key(y, m, 1), date_key(y, m, 31)
        return None if lo is None else (lo, hi)
    return None


# ---- family questions (FAMILY.md) -----------------------------------------------------------------

SQL_KEYWORDS = {"SELECT", "DISTINCT", "FROM", "WHERE", "AND", "OR", "NOT", "LIKE", "BETWEEN", "GROUP",
                "BY", "HAVING", "ORDER", "ASC", "DESC", "LIMIT", "OFFSET", "AS", "ON", "JOIN", "IN",
                "CASE", "WHEN", "THEN", "ELSE", "END", "COUNT", "SUM", "AVG", "MIN", "MAX", "CAST",
                "INTEGER", "REAL", "TEXT", "NULL", "IS", "INTERSECT", "UNION", "EXCEPT", "LOWER"}


def unquoted_columns(sql, header):
    """Mixed-case column names written without double quotes: PostgreSQL folds a bare name to
    lowercase, so it would not find them."""
    s = re.sub(r"'(?:[^']|'')*'", "''", sql)
    s = re.sub(r'"(?:[^"]|"")*"', '""', s)
    out = []
    for h in header:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", h) or re.fullmatch(r"[a-z_][a-z0-9_]*", h):
            continue  # not writable bare at all, or folds to itself
        for m in re.finditer(r"(?<![\w\"])" + re.escape(h) + r"(?![\w\"])", s, re.I):
            if not (m.group().isupper() and m.group() in SQL_KEYWORDS):
                out.append(h)
                break
    return out


def run_sql(where, t, sql, label):
    if not isinstance(sql, str) or not re.match(r"\s*SELECT\s", sql, re.I):
        bad(where, f"{label} must be a SELECT")
        return
    try:
        res = make_db(t).execute(sql).fetchall()
        if not res or all(v is None for v in res[0]):
            bad(where, f"{label} returns nothing")
    except sqlite3.Error as e:
        bad(where, f"{label} fails on SQLite: {e}")
    cols = unquoted_columns(sql, t["header"])
    if cols:
        bad(where, f"{label} names {cols} without double quotes (PostgreSQL folds them to lowercase)")


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def number_in(q, v):
    return any(abs(n - v) < 1e-9 for n in question_numbers(q))


def check_item(where, slot, it, t, extra=()):
    """An item {"agg"?, "col"}: (agg, col), or None when malformed."""
    if not isinstance(it, dict) or "col" not in it or not set(it) <= {"agg", "col", *extra} \
            or not set(extra) <= set(it):
        bad(where, f"{slot} {it!r} must be an object with \"col\"{''.join(', ' + repr(e) for e in extra)} "
                   f"and optionally \"agg\"")
        return None
    agg, col = it.get("agg", ""), it["col"]
    if agg not in FAMILY_AGGS:
        bad(where, f"{slot}: agg {agg!r} not one of {FAMILY_AGGS}")
        return None
    if col is None:
        if agg != "count":
            bad(where, f"{slot}: only count may go without a column")
            return None
    elif not (is_int(col) and 0 <= col < len(t["header"])):
        bad(where, f"{slot}: col {col!r} out of range")
        return None
    if agg in ("sum", "avg") and t["types"][col] != "real":
        bad(where, f"{slot}: {agg} over text column {t['header'][col]!r}")
    return (agg, col)


def check_cond(where, c, t, q):
    """A WHERE condition: (col, op, value), or None when malformed."""
    header, types = t["header"], t["types"]
    if not isinstance(c, dict) or not {"col", "op", "value"} <= set(c) <= {"col", "op", "value", "match"}:
        bad(where, f"condition {c!r} must have col, op, value (and match for like)")
        return None
    col, op, val = c["col"], c["op"], c["value"]
    if not (is_int(col) and 0 <= col < len(header)):
        bad(where, f"condition column {col!r} out of range")
        return None
    if op not in COND_OPS:
        bad(where, f"condition operator {op!r} not one of {COND_OPS}")
        return None
    name, ql = header[col], q.lower()
    if "match" in c and (op not in ("like", "not like") or c["match"] not in MATCHES):
        bad(where, f"\"match\" {c['match']!r} goes with like / not like only, one of {MATCHES}")
    fmt = column_date_format(t, col)
    if op in ("like", "not like"):
        if types[col] != "text":
            bad(where, f"{op} on real column {name!r}")
        if not isinstance(val, str) or not val.strip():
            bad(where, f"{op} needs some text, not {val!r}")
            return None
        if "%" in val or "_" in val:
            bad(where, f"{op} value {val!r} holds a wildcard (the assembler adds them)")
        if val.lower() not in ql:
            bad(where, f"{op} value {val!r} not found in the question text")
        return (col, op, val)
    vals = val if op == "between" else [val]
    if op == "between" and not (isinstance(val, list) and len(val) == 2):
        bad(where, f"between takes [low, high], not {val!r}")
        return None
    if types[col] == "real":
        if not all(is_num(v) for v in vals):
            bad(where, f"value {val!r} for real column {name!r} must be JSON numbers")
            return None
        for v in vals:
            if not number_in(q, v):
                bad(where, f"number {v!r} not found in the question text")
        if op == "between" and vals[0] > vals[1]:
            bad(where, f"between {vals[0]} and {vals[1]}: low above high")
        return (col, op, val)
    if not all(isinstance(v, str) and v.strip() for v in vals):
        bad(where, f"value {val!r} for text column {name!r} must be text")
        return None
    if op in ("=", "!="):
        cells = [r[col] for r in t["rows"]]
        if val not in cells:
            near = [x for x in cells if x.lower() == val.lower()]
            bad(where, f"value {val!r} is not a cell of {name!r}" + (f" (cell is {near[0]!r})" if near else ""))
        if fmt is None and val.lower() not in ql:
            bad(where, f"value {val!r} not found in the question text")
        return (col, op, val)
    # >, <, >=, <=, between on text: only on a column of dates, with dates
    if fmt is None:
        bad(where, f"{op} on text column {name!r}, which holds no dates")
        return None
    if fmt[0] == "ambiguous":
        bad(where, f"{op} on {name!r}, whose dates do not tell day from month")
        return None
    spans = [date_span(v, fmt) for v in vals]
    if None in spans:
        bad(where, f"{op} value {val!r} on date column {name!r} is not a date, month or year")
        return None
    if op == "between" and spans[0][0] > spans[1][1]:
        bad(where, f"between {vals[0]!r} and {vals[1]!r}: low after high")
    return (col, op, val)


def check_family(where, fam, t, q):
    """Checks a `family` object against its table and question; returns it normalised
    (items as (agg, col) pairs) or None when malformed."""
    if not isinstance(fam, dict) or "select" not in fam or not set(fam) <= set(FAMILY_KEYS):
        bad(where, f"family keys {sorted(fam) if isinstance(fam, dict) else fam!r} must be "
                   f"\"select\" and optionally {FAMILY_KEYS[1:]}")
        return None
    n0 = len(problems)
    for k in FAMILY_KEYS[1:]:
        if k in fam and fam[k] is None:
            bad(where, f"{k} is null: leave the key out instead")
            return None
    sel = fam["select"]
    if not isinstance(sel, list) or not sel:
        bad(where, "select must be a non-empty list of items")
        return None
    items = [check_item(where, "select item", it, t) for it in sel]
    distinct = fam.get("distinct", False)
    if not isinstance(distinct, bool):
        bad(where, "distinct must be true or false")
    conds = fam.get("where", [])
    if not isinstance(conds, list):
        bad(where, "where must be a list of conditions")
        return None
    conds = [check_cond(where, c, t, q) for c in conds]
    connector = fam.get("connector", "and")
    if connector not in ("and", "or"):
        bad(where, f"connector {connector!r} must be \"and\" or \"or\"")
    group_by = fam.get("group_by")
    if group_by is not None and not (is_int(group_by) and 0 <= group_by < len(t["header"])):
        bad(where, f"group_by {group_by!r} out of range")
        return None
    having = fam.get("having")
    if having is not None:
        h = check_item(where, "having", having, t, extra=("op", "value"))
        if h is not None:
            if h[0] == "":
                bad(where, "having takes an aggregate")
            if having["op"] not in CMP_OPS:
                bad(where, f"having operator {having['op']!r} not one of {CMP_OPS}")
            if not is_num(having["value"]):
                bad(where, f"having value {having['value']!r} must be a number")
            elif not number_in(q, having["value"]):
                bad(where, f"having number {having['value']!r} not found in the question text")
        having = h
    order_by = fam.get("order_by")
    if order_by is not None:
        o = check_item(where, "order_by", order_by, t, extra=("dir",))
        if o is not None and order_by["dir"] not in ("asc", "desc"):
            bad(where, f"order_by dir {order_by['dir']!r} must be \"asc\" or \"desc\"")
        order_by = o
    limit = fam.get("limit")
    if limit is not None:
        if not is_int(limit) or limit < 1:
            bad(where, f"limit {limit!r} must be a positive integer")
        if "order_by" not in fam:
            bad(where, "limit needs order_by")
    if None in items or None in conds or (having is None) != ("having" not in fam) \
            or (order_by is None) != ("order_by" not in fam):
        return None  # malformed; the clause rules below need every part
    # clause rules (crates/data/src/types/family.rs FamilyQuery::check)
    aggregated = any(a for a, _ in items)
    if distinct and aggregated:
        bad(where, "distinct goes with plain columns only")
    if group_by is not None:
        if any(not a and c != group_by for a, c in items):
            bad(where, "a plain selected column must be the group_by column")
        if order_by is not None and not order_by[0] and order_by[1] != group_by:
            bad(where, "with group_by, order_by takes the group column or an aggregate")
    else:
        if having is not None:
            bad(where, "having needs group_by")
        if aggregated and any(not a for a, _ in items):
            bad(where, "plain columns beside aggregates need group_by")
        if order_by is not None and order_by[0] and not aggregated:
            bad(where, "order_by an aggregate needs group_by")
        if order_by is not None and not order_by[0] and aggregated:
            bad(where, "aggregates without group_by make one row: order_by a plain column makes no sense")
    if distinct and order_by is not None and order_by not in items:
        bad(where, "select distinct orders only by a selected column")
    if len(problems) > n0:
        return None
    return {"select": items, "distinct": distinct, "where": conds, "connector": connector,
            "group_by": group_by, "having": having, "order_by": order_by, "limit": limit}


def shapes(f, t):
    """The shapes of a checked family gold, as `shapes()` in crates/data/src/types/family.rs, plus
    "non-ISO date" (the date shape on a column whose dates are not YYYY-MM-DD)."""
    items, conds = f["select"], f["where"]
    dated = set()
    o = f["order_by"]
    if o is not None and not o[0]:
        dated.add(o[1])
    dated |= {c for c, op, _ in conds if op in (">", "<", ">=", "<=", "between")}
    fmts = [column_date_format(t, c) for c in dated]
    fmts = [x for x in fmts if x is not None]
    sketch = (len(items) == 1 and not f["distinct"] and f["group_by"] is None and f["having"] is None
              and o is None and f["limit"] is None and not (f["connector"] == "or" and len(conds) > 1)
              and items[0][0] != "count_distinct" and items[0][1] is not None
              and all(op in ("=", ">", "<") for _, op, _ in conds))
    all_items = items + [x for x in (o, f["having"]) if x is not None]
    has = {
        "sketch": sketch,
        "ranking": o is not None,
        "grouping": f["group_by"] is not None,
        "columns": len(items) > 1,
        "having": f["having"] is not None,
        "or": f["connector"] == "or" and len(conds) > 1,
        "ne": any(op == "!=" for _, op, _ in conds),
        "orequal": any(op in (">=", "<=") for _, op, _ in conds),
        "like": any(op in ("like", "not like") for _, op, _ in conds),
        "between": any(op == "between" for _, op, _ in conds),
        "distinct": f["distinct"],
        "count_distinct": any(a == "count_distinct" for a, _ in all_items),
        "date": bool(fmts),
        "non-iso date": any(x[0] != "iso" for x in fmts),
    }
    return {k for k, v in has.items() if v}


# ---- masked skeletons ------------------------------------------------------------------------------

MASK_NUM_RE = re.compile(r"\d+(?:[.,]\d+)*")
TOKEN_RE = re.compile(r"[a-z0-9_]+|\x01|\x02")


def header_words(header):
    """Header names and their spoken forms (snake_case / camelCase split into words), lowercased."""
    out = set()
    for h in header:
        if not isinstance(h, str):
            continue
        spoken = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", h)
        spoken = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spoken)
        out.update(re.findall(r"[a-z]+", spoken.lower()))
        out.update(TOKEN_RE.findall(h.lower()))
    return out


def table_masks(header, rows):
    cells = {c.strip().lower() for r in rows if isinstance(r, list) for c in r if isinstance(c, str)}
    return sorted((c for c in cells if re.search(r"[a-z0-9]", c)), key=lambda c: (-len(c), c)), header_words(header)


def skeleton(q, cells=(), words=frozenset()):
    """The question as lowercase word tokens with the table's cell values (longest first) masked to
    <v>, numbers to <n> and header words to <c>."""
    s = q.lower()
    for c in cells:
        if c in s:
            s = re.sub(r"(?<![a-z0-9])" + re.escape(c) + r"(?![a-z0-9])", " \x01 ", s)
    s = MASK_NUM_RE.sub(" \x02 ", s)
    return tuple("<v>" if x == "\x01" else "<n>" if x == "\x02" else "<c>" if x in words else x
                 for x in TOKEN_RE.findall(s))


def within_edits(a, b, k):
    """Levenshtein distance over tokens <= k (banded)."""
    la, lb = len(a), len(b)
    if abs(la - lb) > k:
        return False
    big = k + 1
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        cur = [big] * (lb + 1)
        cur[0] = i
        ai = a[i - 1]
        lo, hi = max(1, i - k), min(lb, i + k)
        for j in range(lo, hi + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ai != b[j - 1]))
        if min(cur[lo - 1:hi + 1]) > k:
            return False
        prev = cur
    return prev[lb] <= k


def check_family_line(where, obj, tables, part):
    if set(obj) != {"table_id", "question", "family", "sql"}:
        bad(where, f"family keys {sorted(obj)} != ['family', 'question', 'sql', 'table_id']")
        return None
    t = tables.get(obj["table_id"])
    if t is None:
        bad(where, f"table {obj['table_id']!r} is not in {part}.tables.jsonl")
        return None
    q = obj["question"]
    if not isinstance(q, str) or not q.strip():
        bad(where, "empty question")
        return None
    f = check_family(where, obj["family"], t, q)
    run_sql(where, t, obj["sql"], "sql")
    if f is None:
        return None
    return {"table": t["id"], "question": q, "text": q.lower().strip(), "shapes": shapes(f, t),
            "source": "family", "kind": None}


def check_outside(where, obj, tables, part, originals):
    keys = {"table_id", "question", "outside", "gold_sql"}
    if not keys <= set(obj) <= keys | {"family"}:
        bad(where, f"outside keys {sorted(obj)} != {sorted(keys)} (+ 'family')")
        return None
    t = tables.get(obj["table_id"])
    if t is None:
        bad(where, f"table {obj['table_id']!r} is not in {part}.tables.jsonl")
        return None
    q, kind = obj["question"], obj["outside"]
    if not isinstance(q, str) or not q.strip():
        bad(where, "empty question")
        return None
    original = (t["id"], q) in originals
    if kind not in (OLD_KINDS if original else NEW_KINDS):
        bad(where, f"outside kind {kind!r} not one of {OLD_KINDS if original else NEW_KINDS} "
                   f"({'an original' if original else 'a new'} line)")
    if "family" in obj and not original:
        bad(where, "a new line with a family gold belongs in the family file")
    run_sql(where, t, obj["gold_sql"], "gold_sql")
    out = {"table": t["id"], "question": q, "text": q.lower().strip(), "kind": kind,
           "original": original, "source": "outside"}
    if "family" in obj:
        f = check_family(where, obj["family"], t, q)
        if f is None:
            return None
        out.update(source="rescored", shapes=shapes(f, t))
    return out


def pct(n, d):
    return f"{100.0 * n / d:.1f}%" if d else "-"


def print_table(rows, title):
    print(f"\n{title}\n")
    print("| | dev (tune) | % | test (report) | % | all | % | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for label, cells, target in rows:
        n1, d1 = cells["dev"]
        n2, d2 = cells["test"]
        p1, p2, p3 = (pct(n1, d1), pct(n2, d2), pct(n1 + n2, d1 + d2)) if d1 is not None else ("", "", "")
        n3 = cells["all"] if "all" in cells else n1 + n2
        print(f"| {label} | {n1} | {p1} | {n2} | {p2} | {n3} | {p3} | {target or ''} |")


def load_part(src, part, all_ids):
    tables = {}
    for where, t in load_jsonl(os.path.join(src, f"{part}.tables.jsonl")):
        if check_table(where, t):
            if t["id"] in tables or t["id"] in all_ids:
                bad(where, f"table id {t['id']!r} used twice")
            tables[t["id"]] = t
    for tid in tables:
        all_ids[tid] = part
    for tid in ORIGINAL_TABLES[part]:
        if tid not in tables:
            bad(part, f"original table {tid} missing")
    qs = [f for w, o in load_jsonl(os.path.join(src, f"{part}.jsonl"))
          if (f := check_question(w, o, tables, part)) is not None]
    fams = [f for w, o in load_jsonl(os.path.join(src, f"{part}.family.jsonl"))
            if (f := check_family_line(w, o, tables, part)) is not None]
    originals = set(ORIGINAL_OUTSIDE[part])
    outs = [f for w, o in load_jsonl(os.path.join(src, f"{part}.outside.jsonl"))
            if (f := check_outside(w, o, tables, part, originals)) is not None]
    seen = Counter((f["table"], f["question"]) for f in outs if f["original"])
    for key in ORIGINAL_OUTSIDE[part]:
        if seen[key] != 1:
            bad(part, f"original outside line {key} found {seen[key]} times")
    texts = [f["text"] for f in qs + fams + outs]
    for x in sorted({x for x in texts if texts.count(x) > 1}):
        bad(part, f"question asked twice: {x!r}")
    scored = fams + [f for f in outs if f["source"] == "rescored"]
    for tid in tables:
        n = sum(f["table"] == tid for f in qs + scored)
        if n < MIN_Q_PER_TABLE:
            bad(part, f"table {tid} has {n} in-sketch + family questions (< {MIN_Q_PER_TABLE})")
    return {"tables": tables, "qs": qs, "fams": fams, "outs": outs, "scored": scored,
            "not_sure": [f for f in outs if f["source"] == "outside"],
            "new": fams + [f for f in outs if f["kind"] in COUNTED_KINDS]}


def masked(f, tables):
    t = tables[f["table"]]
    cells, words = table_masks(t["header"], t["rows"])
    return skeleton(f["question"], cells, words)


def sketch_mix(stats):
    rows = []  # (label, {part: (n, base)}, target)

    def add(label, fn, base="in", target=None):
        cells = {}
        for part in PARTS:
            tables, qs = stats[part]["tables"], stats[part]["qs"]
            if base == "in":
                n, d = sum(1 for f in qs if fn(f)), len(qs)
            else:
                n, d = fn(part), base(part)
            cells[part] = (n, d)
        rows.append((label, cells, target))
        return cells

    cnt = add("in-sketch questions", lambda f: True)
    rows[-1] = (rows[-1][0], {p: (n, None) for p, (n, d) in cnt.items()}, None)
    sketch_tables = {p: len({f["table"] for f in stats[p]["qs"]}) for p in PARTS}
    add("tables with in-sketch questions", lambda p: sketch_tables[p], base=lambda p: None)
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
                      lambda p: sum(any(code_like(h) for h in t["header"]) for t in stats[p]["tables"].values()),
                      base=lambda p: len(stats[p]["tables"]), target=">= 50%")
    c["number with a unit"] = add("numeric condition with a unit ($, km, min, ...)", lambda f: f["unit"], target=">= 5")
    for part in PARTS:
        tables, qs = stats[part]["tables"], stats[part]["qs"]
        if len(qs) < MIN_QUESTIONS[part]:
            bad(part, f"{len(qs)} in-sketch questions (< {MIN_QUESTIONS[part]})")
        if sketch_tables[part] < MIN_TABLES[part]:
            bad(part, f"{sketch_tables[part]} tables with in-sketch questions (< {MIN_TABLES[part]})")
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
    return rows


def family_mix(stats):
    rows = []

    def add(label, fn, base=None, target=None, total=None):
        cells = {p: (fn(p), base(p) if base else None) for p in PARTS}
        if total is not None:
            cells["all"] = total
        rows.append((label, cells, target))
        return {p: cells[p][0] for p in PARTS}

    all_tables = [tid for p in PARTS for tid in stats[p]["tables"]]
    new_tables = [tid for p in PARTS for tid in stats[p]["tables"] if tid not in ORIGINAL_TABLES[p]]
    add("tables", lambda p: len(stats[p]["tables"]),
        target=f"test >= {TABLES_MIN['test']}; all >= {TABLES_MIN['all']}")
    add("  of which not among the original 23", lambda p: sum(t not in ORIGINAL_TABLES[p] for t in stats[p]["tables"]),
        target=f"all >= {TABLES_MIN['new']}")
    add("in-sketch questions", lambda p: len(stats[p]["qs"]))
    add("family questions (`*.family.jsonl`)", lambda p: len(stats[p]["fams"]))
    add("original outside lines now scored as family", lambda p: len(stats[p]["scored"]) - len(stats[p]["fams"]))
    add("family questions scored (base of the shape rows)", lambda p: len(stats[p]["scored"]))
    shape = {}
    for key, name in SHAPES + [("non-iso date", "  of which on a non-ISO date column")]:
        lo = REPORT_SHAPE_MIN.get(key, REPORT_NON_ISO_DATE_MIN if key == "non-iso date" else None)
        shape[key] = add(f"shape: {name}" if key != "non-iso date" else name,
                         lambda p, key=key: sum(key in f["shapes"] for f in stats[p]["scored"]),
                         base=lambda p: len(stats[p]["scored"]), target=f"test >= {lo}" if lo else None)
    total = lambda p: len(stats[p]["qs"]) + len(stats[p]["scored"]) + len(stats[p]["not_sure"])
    add("all scored questions (in-sketch + family + outside-family)", total)
    not_sure = add("outside-family questions (answer \"Not sure\"; share of the part)",
                   lambda p: len(stats[p]["not_sure"]), base=total,
                   target=f">= {OUTSIDE_MIN} and <= {OUTSIDE_MAX_SHARE:.0%}")
    add("  of which original lines", lambda p: sum(f["original"] for f in stats[p]["not_sure"]),
        base=lambda p: len(stats[p]["not_sure"]))
    for k in KINDS:
        add(f"  outside: {k}", lambda p, k=k: sum(f["kind"] == k for f in stats[p]["not_sure"]),
            base=lambda p: len(stats[p]["not_sure"]),
            target="each part >= 1" if k in REQUIRED_KINDS else None)
    new_out = add("new outside-family questions (OFFSET, arithmetic, nested, two tables)",
                  lambda p: sum(f["kind"] in COUNTED_KINDS for f in stats[p]["outs"]),
                  target=f"test >= {REPORT_NEW_OUTSIDE_MIN}")
    new = add("new questions (family lines + new outside-family lines above)", lambda p: len(stats[p]["new"]),
              target=f"test >= {NEW_QUESTIONS_MIN['test']}; all >= {NEW_QUESTIONS_MIN['all']}")
    worst = {}
    for p in PARTS:
        tables = stats[p]["tables"]
        pool = stats[p]["fams"] + [f for f in stats[p]["outs"] if not f["original"]]
        sk = Counter(masked(f, tables) for f in pool)
        worst[p] = max(sk.values(), default=0)
        for s, n in sorted(sk.items()):
            if n > MAX_SAME_SKELETON:
                qs = [f["question"] for f in pool if masked(f, tables) == s]
                bad(p, f"{n} questions share the masked skeleton {' '.join(s)!r}: {qs}")
    add("most questions sharing one masked skeleton (family + new outside lines)", lambda p: worst[p],
        target=f"<= {MAX_SAME_SKELETON}", total=max(worst.values()))

    # targets
    if len(all_tables) < TABLES_MIN["all"]:
        bad("all", f"{len(all_tables)} tables (< {TABLES_MIN['all']})")
    if len(new_tables) < TABLES_MIN["new"]:
        bad("all", f"{len(new_tables)} tables not among the original 23 (< {TABLES_MIN['new']})")
    if len(stats["test"]["tables"]) < TABLES_MIN["test"]:
        bad("test", f"{len(stats['test']['tables'])} tables (< {TABLES_MIN['test']})")
    for key, lo in REPORT_SHAPE_MIN.items():
        if shape[key]["test"] < lo:
            bad("test", f"{dict(SHAPES)[key]}: {shape[key]['test']} family questions (< {lo})")
    if shape["non-iso date"]["test"] < REPORT_NON_ISO_DATE_MIN:
        bad("test", f"{shape['non-iso date']['test']} questions order or compare a non-ISO date column "
                    f"(< {REPORT_NON_ISO_DATE_MIN})")
    if new_out["test"] < REPORT_NEW_OUTSIDE_MIN:
        bad("test", f"{new_out['test']} new outside-family questions (< {REPORT_NEW_OUTSIDE_MIN})")
    if new["test"] < NEW_QUESTIONS_MIN["test"]:
        bad("test", f"{new['test']} new questions (< {NEW_QUESTIONS_MIN['test']})")
    if sum(new.values()) < NEW_QUESTIONS_MIN["all"]:
        bad("all", f"{sum(new.values())} new questions (< {NEW_QUESTIONS_MIN['all']})")
    for p in PARTS:
        n, d = not_sure[p], total(p)
        if n < OUTSIDE_MIN or n > OUTSIDE_MAX_SHARE * d:
            bad(p, f"{n} outside-family questions ({pct(n, d)} of {d}): want >= {OUTSIDE_MIN} and "
                   f"<= {OUTSIDE_MAX_SHARE:.0%}")
        for k in REQUIRED_KINDS:
            if not any(f["kind"] == k for f in stats[p]["not_sure"]):
                bad(p, f"no outside-family question of kind {k!r}")
    return rows


def print_lists(stats):
    print("\nTables:\n")
    print("| part | table | new | rows x cols | in-sketch | family | outside-family |")
    print("|---|---|---|---|---:|---:|---:|")
    for p in PARTS:
        for tid, t in stats[p]["tables"].items():
            n = lambda key: sum(f["table"] == tid for f in stats[p][key])
            print(f"| {p} | `{tid}` | {'' if tid in ORIGINAL_TABLES[p] else 'new'} | "
                  f"{len(t['rows'])} x {len(t['header'])} | {n('qs')} | {n('scored')} | {n('not_sure')} |")
    for title, source in (("Original outside lines now scored as family questions", "rescored"),
                          ("Original outside lines that stay outside the family", "outside")):
        print(f"\n{title}:\n")
        print("| part | table | question | kind |")
        print("|---|---|---|---|")
        for p in PARTS:
            for f in stats[p]["outs"]:
                if f["original"] and f["source"] == source:
                    print(f"| {p} | `{f['table']}` | {f['question']} | {f['kind']} |")


def read_generated(path):
    """Masked skeletons of a generated file's questions (deduplicated) and the line count."""
    out, n, skipped = {}, 0, 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            n += 1
            try:
                obj = json.loads(line)
                q = obj["question"]
                table = obj.get("table")
                if isinstance(table, dict):
                    cells, words = table_masks(table.get("header", []), table.get("rows", []))
                else:
                    cells, words = (), frozenset()
                s = skeleton(q, cells, words)
            except (ValueError, KeyError, TypeError, AttributeError):
                skipped += 1
                continue
            out.setdefault(s, q)
    return out, n, skipped


def overlap(stats, path, show=False):
    """Share of report questions (family + outside lines) whose masked skeleton is within
    OVERLAP_EDITS token edits of a generated question's."""
    gen, n, skipped = read_generated(path)
    vocab = {}

    def mask(s):  # a bit per token (hashed into 128): popcount(a & ~b) <= edits, a cheap filter
        m = 0
        for x in s:
            m |= 1 << vocab.setdefault(x, len(vocab) % 128)
        return m

    buckets = defaultdict(list)
    for s in gen:
        buckets[len(s)].append((mask(s), s))
    tables = stats["test"]["tables"]
    report = stats["test"]["fams"] + stats["test"]["outs"]
    hits = []
    k = OVERLAP_EDITS
    for f in report:
        r = masked(f, tables)
        rm = mask(r)
        near = r if r in gen else None
        for length in range(len(r) - k, len(r) + k + 1):
            if near is not None:
                break
            for gm, g in buckets.get(length, ()):
                if bin(rm & ~gm).count("1") <= k and bin(gm & ~rm).count("1") <= k and within_edits(r, g, k):
                    near = g
                    break
        if near is not None:
            hits.append((f, r, near))
    share = len(hits) / max(1, len(report))
    print(f"generated file: {path}: {n} lines ({skipped} unreadable), {len(gen)} distinct masked skeletons")
    print(f"report questions (family + outside lines): {len(report)}; within {k} token edits of a generated "
          f"question: {len(hits)} ({pct(len(hits), len(report))}; limit {OVERLAP_MAX_SHARE:.0%})")
    short = [f for f in report if len(masked(f, tables)) <= 5]
    print(f"  of which with a skeleton of at most 5 tokens: {sum(len(r) <= 5 for _, r, _ in hits)} "
          f"(of {len(short)} such report questions; 2 edits are a large share of a short skeleton)")
    if show:
        for f, r, g in hits:
            print(f"  {f['question']!r}\n    report    {' '.join(r)}\n    generated {' '.join(g)}  ({gen[g]!r})")
    else:
        print("  (--show lists them, report questions included: keep that output away from the generator's author)")
    return share <= OVERLAP_MAX_SHARE


def main():
    args = sys.argv[1:]
    gen_path, show = None, "--show" in args
    if show:
        args.remove("--show")
    if "--overlap" in args:
        i = args.index("--overlap")
        if i + 1 >= len(args):
            sys.exit("usage: mix.py [SOURCE_DIR] [--overlap GENERATED.jsonl [--show]]")
        gen_path = args[i + 1]
        del args[i:i + 2]
    src = args[0] if args else os.path.join(HERE, "source")
    stats, all_ids = {}, {}
    for part in PARTS:
        stats[part] = load_part(src, part, all_ids)
    sketch_rows = sketch_mix(stats)
    family_rows = family_mix(stats)
    ok = True
    if gen_path is not None:
        ok = overlap(stats, gen_path, show)
    else:
        print_table(sketch_rows, "In-sketch questions (percentages of the part's in-sketch questions):")
        print_table(family_rows, "Family and outside-family questions (shape percentages are of the part's "
                                 "scored family questions; a question counts toward every shape it has):")
        print_lists(stats)
    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        sys.exit(1)
    if not ok:
        sys.exit(1)
    n = lambda key: sum(len(s[key]) for s in stats.values())
    print(f"\nOK: {n('qs')} in-sketch + {n('fams')} family + {n('outs')} outside lines "
          f"({n('scored') - n('fams')} of them scored as family) on {n('tables')} tables validated.",
          file=sys.stderr)


if __name__ == "__main__":
    main()
