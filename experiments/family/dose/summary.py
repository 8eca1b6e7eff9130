#!/usr/bin/env python3
"""The dose ablation's table (experiments/family/dose/run.sh runs the arms): per arm, EX on the
family questions of the tune part (score_model.py's `runs/family_tune_dose-<arm>.eval.json`) and
WikiSQL val LF / EX, guided (`results/family_dose_<arm>_val_guided.json`); per dose, the mean of its two seeds and
their spread (max − min). Writes experiments/results/family_dose.{json,txt}.
"""
import json
import os

RESULTS = "experiments/results"
DOSES = {"all generated (97,700)": "full", "a quarter (24,425)": "quarter"}
SEEDS = (42, 7)


def arm(name):
    tune_path = f"runs/family_tune_dose-{name}.eval.json"
    val_path = f"{RESULTS}/family_dose_{name}_val_guided.json"
    if not (os.path.exists(tune_path) and os.path.exists(val_path)):
        return None
    tune = json.load(open(tune_path))
    val = json.load(open(val_path))["accuracy"]
    return {
        "tune_ex": 100 * tune["all"]["exact"] / tune["all"]["questions"],
        "tune_answered_wrong": 100 * tune["all"]["answered_wrong"] / tune["all"]["questions"],
        "val_lf": 100 * val["logical_form"],
        "val_ex": 100 * val["execution"],
    }


rows, lines = [], [
    "| generated questions | seed | tune EX % (family) | tune answered and wrong % | val LF % | val EX % |",
    "|---|---:|---:|---:|---:|---:|",
]
for label, dose in DOSES.items():
    arms = {seed: arm(f"{dose}-seed{seed}") for seed in SEEDS}
    for seed, a in arms.items():
        if a:
            rows.append({"dose": label, "seed": seed, **a})
            lines.append(f"| {label} | {seed} | {a['tune_ex']:.1f} | {a['tune_answered_wrong']:.1f} "
                         f"| {a['val_lf']:.2f} | {a['val_ex']:.2f} |")
    done = [a for a in arms.values() if a]
    if len(done) == len(SEEDS):
        stat = {k: (sum(a[k] for a in done) / len(done), max(a[k] for a in done) - min(a[k] for a in done))
                for k in done[0]}
        rows.append({"dose": label, "seed": "mean (spread)", **{k: v for k, v in stat.items()}})
        lines.append(f"| {label} | mean (spread) | {stat['tune_ex'][0]:.1f} ({stat['tune_ex'][1]:.1f}) "
                     f"| {stat['tune_answered_wrong'][0]:.1f} ({stat['tune_answered_wrong'][1]:.1f}) "
                     f"| {stat['val_lf'][0]:.2f} ({stat['val_lf'][1]:.2f}) "
                     f"| {stat['val_ex'][0]:.2f} ({stat['val_ex'][1]:.2f}) |")
json.dump(rows, open(f"{RESULTS}/family_dose.json", "w"), indent=1)
open(f"{RESULTS}/family_dose.txt", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
