"""Mean ± std of each ablation arm's val scores (runs/ablation/<arm>-s<seed>/metrics.jsonl).

Writes experiments/results/ablation_content.{json,txt}."""
import json
import statistics
import sys
from pathlib import Path

runs, seeds, train_limit, val_limit = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]


def last_epoch(path):
    epochs = [json.loads(l) for l in path.read_text().splitlines() if '"kind":"epoch"' in l]
    return epochs[-1]["val"] if epochs else None


arms = {}
for arm in ["plain", "content"]:
    vals = [last_epoch(runs / f"{arm}-s{s}" / "metrics.jsonl") for s in range(1, seeds + 1)]
    vals = [v for v in vals if v]
    if not vals:
        continue

    def stat(get):
        xs = [100 * get(v) for v in vals]
        return {"mean": statistics.mean(xs), "std": statistics.stdev(xs) if len(xs) > 1 else 0.0, "runs": xs}

    arms[arm] = {
        "seeds": len(vals),
        "questions": vals[0]["n"],
        "lf": stat(lambda v: v["lf"]),
        "ex": stat(lambda v: v["ex"]),
        "slots": {k: stat(lambda v, k=k: v["slots"][k]) for k in vals[0]["slots"]},
    }

# Paired by seed: the two arms of a seed train on the same subset in the same order.
paired = {}
if {"plain", "content"} <= arms.keys():
    for k in ["lf", "ex"]:
        d = [c - p for c, p in zip(arms["content"][k]["runs"], arms["plain"][k]["runs"])]
        paired[k] = {"mean": statistics.mean(d), "std": statistics.stdev(d) if len(d) > 1 else 0.0, "runs": d}

result = {
    "command": f"experiments/ablation/run.sh {seeds} {train_limit} {val_limit}",
    "setup": f"default LoRA recipe, 1 epoch on the first {train_limit} train examples after a "
    f"seeded shuffle, greedy val LF/EX on the first {val_limit} val questions",
    "arms": arms,
    "content_minus_plain": paired,
}
out = Path("experiments/results/ablation_content.json")
out.write_text(json.dumps(result, indent=2) + "\n")
lines = [result["setup"], "", "| arm | seeds | LF | EX | " + " | ".join(next(iter(arms.values()))["slots"]) + " |"]
lines.append("|---" * (4 + len(next(iter(arms.values()))["slots"])) + "|")
for name, a in arms.items():
    cell = lambda s: f"{s['mean']:.2f} ± {s['std']:.2f}"
    lines.append(f"| {name} | {a['seeds']} | {cell(a['lf'])} | {cell(a['ex'])} | "
                 + " | ".join(cell(s) for s in a["slots"].values()) + " |")
if paired:
    lines += ["", "content − plain, paired by seed: LF {:+.2f} ± {:.2f}, EX {:+.2f} ± {:.2f}".format(
        paired["lf"]["mean"], paired["lf"]["std"], paired["ex"]["mean"], paired["ex"]["std"])]
Path("experiments/results/ablation_content.txt").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
