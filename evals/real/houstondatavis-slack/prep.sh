#!/usr/bin/env bash
# Copies the Slack export files (users.json, channels.json, integration_logs.json, one folder of
# YYYY-MM-DD.json per channel) out of a snapshot of houstondatavis/slack-export, byte for byte.
# The repository's README.md and .LICENSE are not part of the export and are left out.
# Usage: evals/real/houstondatavis-slack/prep.sh [SNAPSHOT_GIT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
snapshot=${1:-/work/.mirror/houstondatavis+slack-export/repo/.git}
want=cd61170f9d217e584c963f75400a5b9550209e86
got=$(git -C "$snapshot" rev-parse HEAD)
[ "$got" = "$want" ] || echo "prep: snapshot HEAD is $got, SOURCE names $want" >&2
rm -rf "$here/export" && mkdir -p "$here/export"
git -C "$snapshot" archive HEAD | tar -x -C "$here/export"
rm -f "$here/export/README.md" "$here/export/.LICENSE"
