#!/usr/bin/env python3
"""What the "Not sure" on a guess in the sketch changes, for one scored run of the tune part.

  experiments/family/doubted.py NAME MODEL

Since the clause heads' choice of a shape beyond the sketch makes the sketch's answer a guess
(crates/infer/src/answer.rs, `confident`), a family question whose answer is such a guess is
"Not sure"; before, it was answered, with a query of WikiSQL's sketch, which no family gold is.
Reads score_model.py's runs/family_tune_NAME.answers.jsonl and
runs/family_tune_NAME.eval.json and prints, over the family questions (those with gold
shapes), how many answers are guesses of that kind and the three shares with and without them.
MODEL's decoding.json gives the gate: a guess whose heads left below it is one whose own query
could not be given, which was "Not sure" before too.
"""
import json
import sys

name, model = sys.argv[1:3]
gate = json.load(open(f"{model}/decoding.json")).get("leave_sketch_below", 1.0)
answers = [json.loads(line) for line in open(f"runs/family_tune_{name}.answers.jsonl")]
scores = json.load(open(f"runs/family_tune_{name}.eval.json"))["scores"]
family = [(a, s) for a, s in zip(answers, scores) if s["shapes"]]
n = len(family)
right = sum(bool(s["answered"] and s["matched"]["exact"]) for _, s in family)
answered = sum(bool(s["answered"]) for _, s in family)
# A guess in the sketch that was confident before: the clause heads left it (sketch_prob set)
# but the gate kept the answer in, and no word rule flagged the question.
guesses = sum(a.get("sketch_prob") is not None and a["sketch_prob"] >= gate
              and not a.get("confident")
              and not a.get("outside_sketch") and a.get("family") is not None
              and s["answered"] is False for a, s in family)
pct = lambda k: f"{100 * k / n:.1f}%"
print(f"{name}: {n} family questions; {guesses} answers are guesses in the sketch where the clause "
      f"heads chose more")
print(f"now:    right {pct(right)}, answered and wrong {pct(answered - right)}, "
      f"not sure {pct(n - answered)}")
print(f"before: right {pct(right)}, answered and wrong {pct(answered - right + guesses)}, "
      f"not sure {pct(n - answered - guesses)}")
