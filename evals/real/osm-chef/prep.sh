#!/usr/bin/env bash
# Rebuilds history.bundle (metadata only, see evals/real/gitmeta.py) from a snapshot of openstreetmap/chef.
# Usage: evals/real/osm-chef/prep.sh [SNAPSHOT_GIT_DIR]   (default: where the fetch tool puts it)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
snapshot=${1:-/work/.mirror/openstreetmap+chef/repo}
want=869a95e80595c2ec6d25a08dd6680484d214fda3
got=$(git -C "$snapshot" rev-parse HEAD)
[ "$got" = "$want" ] || echo "prep: snapshot HEAD is $got, SOURCE names $want" >&2
cd "$here/../../.." && ${PYTHON:-python} -m evals.real.gitmeta "$snapshot" "$here/history.bundle" 
