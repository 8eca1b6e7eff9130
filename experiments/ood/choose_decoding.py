#!/usr/bin/env python3
"""Decoding settings chosen on WikiSQL val and the OOD tune part together.

  experiments/ood/choose_decoding.py VAL_TUNE_JSON OOD_TUNE_JSON MODEL_DIR

Both inputs are `sqlcoder tune --out` reports for the same model (every guidance variant scored,
one on WikiSQL val, one on data/ood's tune part). The guided variant with the best sum of the two
splits' (LF + EX) is written to MODEL_DIR/decoding.json, so each split weighs the same however
many questions it has; the abstain threshold is val's (the OOD tune part is too small to
calibrate on). Prints the choice and both splits' scores under it.
"""
import json
import sys

val_path, ood_path, model_dir = sys.argv[1:4]
val, ood = json.load(open(val_path)), json.load(open(ood_path))
key = lambda v: (v["guided"], v["keep_above"], v["count_zero_answers"], v["unmatched_values"],
                 v.get("mentioned_cells", False), v.get("fitting_columns", False))
ood_by = {key(v): v for v in ood["variants"]}
merit = lambda v: v["logical_form"] + v["execution"]
best = max((v for v in val["variants"] if v["guided"] and key(v) in ood_by),
           key=lambda v: merit(v) + merit(ood_by[key(v)]))
o = ood_by[key(best)]
chosen = {
    "keep_above": best["keep_above"],
    "count_zero_answers": best["count_zero_answers"],
    "retry_unmatched": best["unmatched_values"],
    "unwrap_values": best["unmatched_values"],
    "mentioned_cells": best.get("mentioned_cells", False),
    "fitting_columns": best.get("fitting_columns", False),
    "abstain_below": val["chosen"]["abstain_below"],
    "chosen_on": "val + OOD tune part: guided variant with the best sum of both splits' LF + EX "
                 "(experiments/ood/choose_decoding.py); abstain threshold from val's calibration",
}
with open(f"{model_dir}/decoding.json", "w") as f:
    json.dump(chosen, f, indent=2)
    f.write("\n")
print(f"chosen: keep_above {best['keep_above']}, count_zero_answers {best['count_zero_answers']}, "
      f"unmatched values {best['unmatched_values']}, "
      f"mentioned cells {best.get('mentioned_cells', False)}, "
      f"fitting columns {best.get('fitting_columns', False)}, abstain below {chosen['abstain_below']}")
print(f"  val LF {100 * best['logical_form']:.2f} EX {100 * best['execution']:.2f}; "
      f"OOD tune LF {100 * o['logical_form']:.2f} EX {100 * o['execution']:.2f}")
