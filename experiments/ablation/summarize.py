"""Mean ± std of each ablation arm's val scores (runs/ablation/<arm>-s<seed>/metrics.jsonl), and
each arm's difference from the first arm paired by seed.

    summarize.py RUNS STUDY SEEDS TRAIN_LIMIT VAL_LIMIT ARM...

Writes experiments/results/ablation_<study>.{json,txt}."""
import json
import statistics
import sys
from pathlib import Path

runs, study, seeds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
train_limit, val_limit, arm_names = sys.argv[4], sys.argv[5], sys.argv[6:]


def last_epoch(path):
    if not path.exists():
        return None
    epochs = [json.loads(l) for l in path.read_text().splitlines() if '"kind":"epoch"' in l]
    return epochs[-1]["val"] if epochs else None


def stat(xs):
    return {"mean": statistics.mean(xs), "std": statistics.stdev(xs) if len(xs) > 1 else 0.0, "runs": xs}


arms, by_seed = {}, {}
for arm in arm_names:
    vals = {s: last_epoch(runs / f"{arm}-s{s}" / "metrics.jsonl") for s in range(1, seeds + 1)}
    vals = {s: v for s, v in vals.items() if v}
    if not vals:
        continue
    by_seed[arm] = vals
    first = next(iter(vals.values()))
    arms[arm] = {
        "seeds": sorted(vals),
        "questions": first["n"],
        "lf": stat([100 * v["lf"] for v in vals.values()]),
        "ex": stat([100 * v["ex"] for v in vals.values()]),
        "slots": {k: stat([100 * v["slots"][k] for v in vals.values()]) for k in first["slots"]},
    }

# Paired by seed: the arms of a seed train on the same subset in the same order from the same
# initialisation of everything they share.
base = arm_names[0]
paired = {}
for arm in arm_names[1:]:
    if base not in by_seed or arm not in by_seed:
        continue
    common = sorted(by_seed[base].keys() & by_seed[arm].keys())
    paired[f"{arm} - {base}"] = {
        k: stat([100 * (by_seed[arm][s][k] - by_seed[base][s][k]) for s in common]) for k in ["lf", "ex"]
    } | {"seeds": common}

result = {
    "command": f"experiments/ablation/run.sh {study} {seeds} {train_limit} {val_limit}",
    "setup": f"1 epoch on the first {train_limit} train examples after a seeded shuffle, greedy "
    f"val LF/EX on the first {val_limit} val questions; arms differ from the default recipe only "
    "as named",
    "arms": arms,
    "paired": paired,
}
Path(f"experiments/results/ablation_{study}.json").write_text(json.dumps(result, indent=2) + "\n")
slots = list(next(iter(arms.values()))["slots"]) if arms else []
lines = [result["command"], result["setup"], "", "| arm | seeds | LF | EX | " + " | ".join(slots) + " |"]
lines.append("|---" * (4 + len(slots)) + "|")
cell = lambda s: f"{s['mean']:.2f} ± {s['std']:.2f}"
for name, a in arms.items():
    lines.append(f"| {name} | {len(a['seeds'])} | {cell(a['lf'])} | {cell(a['ex'])} | "
                 + " | ".join(cell(s) for s in a["slots"].values()) + " |")
if paired:
    lines.append("")
for name, p in paired.items():
    lines.append("{}, paired by seed ({} seeds): LF {:+.2f} ± {:.2f}, EX {:+.2f} ± {:.2f}".format(
        name, len(p["seeds"]), p["lf"]["mean"], p["lf"]["std"], p["ex"]["mean"], p["ex"]["std"]))
Path(f"experiments/results/ablation_{study}.txt").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
