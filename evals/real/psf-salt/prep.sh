#!/usr/bin/env bash
# Rebuilds history.bundle (metadata only, see evals/real/gitmeta.py) from a snapshot of python/psf-salt.
# Usage: evals/real/psf-salt/prep.sh [SNAPSHOT_GIT_DIR]   (default: where the fetch tool puts it)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
snapshot=${1:-/work/.mirror/python+psf-salt/repo}
want=05305dee04372ad00c4dd66fca14ab13e35754f3
got=$(git -C "$snapshot" rev-parse HEAD)
[ "$got" = "$want" ] || echo "prep: snapshot HEAD is $got, SOURCE names $want" >&2
cd "$here/../../.." && ${PYTHON:-python} -m evals.real.gitmeta "$snapshot" "$here/history.bundle" 
