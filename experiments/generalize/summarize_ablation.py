#!/usr/bin/env python3
"""Mean ± std of the generalization ablation (experiments/generalize/ablate.sh) and of each decoding
change, from the runs' `tune` reports (runs/generalize/<arm>-s<seed>/tune_{val2k,ood}.json).

    summarize_ablation.py RUNS SEEDS N ARM...

Two tables, on the first 2,000 val questions and on the OOD tune part (258 questions):
- data arms: greedy and guided (the decoding shipped with the model) LF/EX, and each arm's
  difference from the first arm paired by seed, greedy and guided;
- decoding changes, on the last arm's runs (the shipped recipe): the shipped decoding against
  itself without each change (paired by run).
Writes experiments/results/ablation_generalize.{json,txt}."""
import json
import statistics
import sys
from pathlib import Path

runs, seeds, n, arm_names = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
SPLITS = {"val2k": "val (first 2,000)", "ood": "OOD tune (258)"}
# The shipped decoding before mentioned cells (models/sqlcoder-lora/decoding.json at 75e6ceb) and
# what each change undoes or adds; a change measured against another base names it second.
SHIPPED = (True, 0.2, False, True, False, False)
WITH_MENTIONED = (True, 0.2, False, True, True, False)
DECODING = {
    "greedy (no execution guidance)": (False, 2.0, False, False, False, False),
    "without the unmatched-value retry and unwrapping": (True, 0.2, False, False, False, False),
    "with a COUNT of 0 accepted as an answer": (True, 0.2, True, True, False, False),
    "without keep_above (always take the first executable)": (True, 2.0, False, True, False, False),
    "with mentioned cells added as conditions": WITH_MENTIONED,
    "with fitting columns (on top of mentioned cells)":
        ((True, 0.2, False, True, True, True), WITH_MENTIONED),
}


def key(v):
    return (v["guided"], v["keep_above"], v["count_zero_answers"], v["unmatched_values"],
            v.get("mentioned_cells", False), v.get("fitting_columns", False))


def scores(run, split):
    path = runs / run / f"tune_{split}.json"
    if not path.exists():
        return None
    by = {key(v): v for v in json.load(open(path))["variants"]}
    return {k: (100 * v["logical_form"], 100 * v["execution"]) for k, v in by.items()}


def stat(xs):
    return {"mean": statistics.mean(xs), "std": statistics.stdev(xs) if len(xs) > 1 else 0.0,
            "runs": [round(x, 2) for x in xs]}


def fmt(s):
    return f"{s['mean']:6.2f} ± {s['std']:4.2f}"


result = {"seeds": seeds, "questions_per_run": int(n), "arms": {}, "paired": {}, "decoding": {}}
lines = [f"Continued training of the previous model, {n} questions per run, seeds 1..{seeds} "
         f"(experiments/generalize/ablate.sh)", ""]
table = {}
for arm in arm_names:
    per = {}
    for split in SPLITS:
        got = {s: scores(f"{arm}-s{s}", split) for s in range(1, seeds + 1)}
        per[split] = {s: v for s, v in got.items() if v}
    if not per["val2k"] or not per["ood"]:
        continue
    table[arm] = per
    result["arms"][arm] = {
        split: {
            "seeds": sorted(per[split]),
            **{f"{mode}_{m}": stat([v[k][i] for v in per[split].values()])
               for mode, k in (("greedy", DECODING["greedy (no execution guidance)"]),
                               ("guided", SHIPPED))
               for i, m in enumerate(("lf", "ex"))},
        }
        for split in SPLITS
    }

lines.append(f"{'arm':12} {'split':18} {'greedy LF':>15} {'greedy EX':>15} "
             f"{'guided LF':>15} {'guided EX':>15}")
for arm, per in result["arms"].items():
    for split, s in per.items():
        lines.append(f"{arm:12} {SPLITS[split]:18} {fmt(s['greedy_lf'])} {fmt(s['greedy_ex'])} "
                     f"{fmt(s['guided_lf'])} {fmt(s['guided_ex'])}")

base = arm_names[0]
if base in table:
    lines += ["", f"Difference from {base}, paired by seed:"]
    for arm in list(table)[1:]:
        result["paired"][arm] = {}
        for split in SPLITS:
            common = sorted(set(table[arm][split]) & set(table[base][split]))
            result["paired"][arm][split] = {}
            for mode, k in (("greedy", DECODING["greedy (no execution guidance)"]),
                            ("guided", SHIPPED)):
                d = {m: stat([table[arm][split][s][k][i] - table[base][split][s][k][i]
                              for s in common]) for i, m in enumerate(("lf", "ex"))}
                result["paired"][arm][split][mode] = d
                lines.append(f"  {arm:12} {SPLITS[split]:18} {mode:6} LF {d['lf']['mean']:+6.2f} ± "
                             f"{d['lf']['std']:4.2f}   EX {d['ex']['mean']:+6.2f} ± "
                             f"{d['ex']['std']:4.2f}")

last = arm_names[-1]
if last in table:
    lines += ["", f"Decoding changes on the {last} runs: a change, minus the decoding shipped with "
                  "the model (keep_above 0.2, COUNT of 0 retried, unmatched values retried), paired "
                  "by run:"]
    for name, change in DECODING.items():
        k, base = change if isinstance(change[0], tuple) else (change, SHIPPED)
        result["decoding"][name] = {}
        for split in SPLITS:
            runs_ = table[last][split].values()
            have = [v for v in runs_ if k in v and base in v]
            if not have:
                continue
            d = {m: stat([v[k][i] - v[base][i] for v in have]) for i, m in enumerate(("lf", "ex"))}
            result["decoding"][name][split] = d
            lines.append(f"  {name:55} {SPLITS[split]:18} LF {d['lf']['mean']:+6.2f} ± "
                         f"{d['lf']['std']:4.2f}   EX {d['ex']['mean']:+6.2f} ± {d['ex']['std']:4.2f}")

out = Path("experiments/results/ablation_generalize")
out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
out.with_suffix(".txt").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
