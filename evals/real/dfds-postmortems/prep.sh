#!/usr/bin/env bash
# Copies DFDS's postmortems (every PM20*.md) out of a snapshot of dfds/postmortems, byte for byte.
# Left out: README.md, the template (PMyyyy-nnn), images, and one report saved without the .md suffix.
# Usage: evals/real/dfds-postmortems/prep.sh [SNAPSHOT_GIT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
snapshot=${1:-/work/.mirror/dfds+postmortems/repo}
want=2c902284250cfa7b5c3823665cb9dbb9e8d68e21
got=$(git -C "$snapshot" rev-parse HEAD)
[ "$got" = "$want" ] || echo "prep: snapshot HEAD is $got, SOURCE names $want" >&2
rm -rf "$here/postmortems" && mkdir -p "$here/postmortems"
git -C "$snapshot" archive HEAD | tar -x -C "$here/postmortems" --wildcards 'PM20*.md'
