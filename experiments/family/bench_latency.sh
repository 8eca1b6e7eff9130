#!/usr/bin/env bash
# One-question latency of the in-sketch model against the model with the family heads, with one
# build: `cargo bench --bench inference -- latency` (end to end, guided, the sample's val questions)
# alternately on BEFORE and AFTER, RUNS times each (default 5), then the median of each side's
# p50. Writes experiments/results/family_bench_latency.txt.
#   experiments/family/bench_latency.sh BEFORE_MODEL AFTER_MODEL [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
before=$1 after=$2 runs=${3:-5}
out=experiments/results/family_bench_latency.txt
cargo bench --bench inference --no-run 2>/dev/null
log=$(mktemp)
for i in $(seq "$runs"); do
  for side in before after; do
    model=$before; [ "$side" = after ] && model=$after
    p50=$(SQLCODER_BENCH_MODEL=$model cargo bench --bench inference -- latency 2>/dev/null |
          grep 'latency, one question, guided' | sed 's/.*p50 \([0-9.]*\) ms.*/\1/')
    echo "$side $i $p50 load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$log"
  done
done
python3 - "$log" "$before" "$after" > "$out" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = {s: statistics.median(float(r[2]) for r in rows if r[0] == s) for s in ("before", "after")}
print(f"before: {sys.argv[2]}\nafter:  {sys.argv[3]}")
for r in rows:
    print(f"run {r[1]} {r[0]:6} p50 {r[2]} ms (load {r[4]})")
print(f"median p50: before {med['before']:.1f} ms, after {med['after']:.1f} ms "
      f"({100 * (med['after'] / med['before'] - 1):+.1f}%)")
PY
cat "$out"
