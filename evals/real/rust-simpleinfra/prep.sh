#!/usr/bin/env bash
# Rebuilds history.bundle (metadata only, see evals/real/gitmeta.py) from a snapshot of rust-lang/simpleinfra.
# Usage: evals/real/rust-simpleinfra/prep.sh [SNAPSHOT_GIT_DIR]   (default: where the fetch tool puts it)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
snapshot=${1:-/work/.mirror/rust-lang+simpleinfra/repo}
want=a1a8a4edba9ec3cf57d62bc10e82d451d385a04e
got=$(git -C "$snapshot" rev-parse HEAD)
[ "$got" = "$want" ] || echo "prep: snapshot HEAD is $got, SOURCE names $want" >&2
cd "$here/../../.." && ${PYTHON:-python} -m evals.real.gitmeta "$snapshot" "$here/history.bundle" 
