#!/usr/bin/env bash
# Moves the repository's large tracked files (models/, ~55 MB) out of the working tree before a
# GPU trip, and back after it: the trip copies the working tree, and models/ alone would leave no
# room in the 64 MiB for the pack (which carries the encoder compressed; run.sh unpacks it).
#
#   experiments/gpu/aside.sh out    # models/ → ../<repo-name>-models-aside/
#   experiments/gpu/aside.sh back   # and back again (run it even if the trip failed)
set -euo pipefail
cd "$(dirname "$0")/../.."
ASIDE="../$(basename "$PWD")-models-aside"
case "${1:-}" in
  out)
    [ -e "$ASIDE" ] && { echo "error: $ASIDE exists: run \`$0 back\` first" >&2; exit 1; }
    mv models "$ASIDE"
    echo "models/ moved to $ASIDE (git status shows it deleted until \`$0 back\`)"
    ;;
  back)
    [ -d "$ASIDE" ] || { echo "error: nothing aside at $ASIDE" >&2; exit 1; }
    [ -e models ] && { echo "error: models/ exists; move it away before restoring" >&2; exit 1; }
    mv "$ASIDE" models
    git status --short models
    echo "models/ restored"
    ;;
  *)
    echo "usage: $0 out|back" >&2
    exit 2
    ;;
esac
