#!/usr/bin/env bash
# Choose the shipped model's decoding settings on val (execution-guidance variants, abstain
# threshold) and measure its calibration; stores the choice in models/sqlcoder-lora/decoding.json.
# Usage: experiments/tune_shipped.sh [BINARY]   (default target/release/sqlcoder)
set -euo pipefail
bin=${1:-target/release/sqlcoder}
"$bin" tune --split val --out experiments/results/tune_val.json --write-model 2>&1 | tee experiments/results/tune_val.txt
