#!/usr/bin/env bash
# What an upload really holds against serve's estimate (docs/uploads.md): the probe's two 2 MB
# CSV files (numbers, text) read as /api/upload reads them, 5 of each kept; per upload the
# estimate, the Rust heap, SQLite's memory, the resident memory added, and the heap peak of a
# read (examples/upload_cost.rs). Writes experiments/results/upload_cost.json.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet --example upload_cost
"$target/release/examples/upload_cost" experiments/results/upload_cost.json
