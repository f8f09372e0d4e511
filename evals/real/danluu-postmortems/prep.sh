#!/usr/bin/env bash
# Rebuilds history.bundle (metadata only, see evals/real/gitmeta.py) from a snapshot of danluu/post-mortems.
# Usage: evals/real/danluu-postmortems/prep.sh [SNAPSHOT_GIT_DIR]   (default: where the fetch tool puts it)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
snapshot=${1:-/work/.mirror/danluu+post-mortems/repo}
want=696669c9db7835d3d8881b4a3f498eddbcdbed75
got=$(git -C "$snapshot" rev-parse HEAD)
[ "$got" = "$want" ] || echo "prep: snapshot HEAD is $got, SOURCE names $want" >&2
cd "$here/../../.." && ${PYTHON:-python} -m evals.real.gitmeta "$snapshot" "$here/history.bundle" --facts-only
