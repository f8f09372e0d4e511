#!/usr/bin/env bash
# Builds the GitHub issues fixture from a snapshot of bitcoin-data/github-metadata-backup-bitcoin-core-gui,
# whose issues/<n>.json files hold one REST issue object and its timeline events each.
# The backup states no licence, so only facts are kept (see SOURCE): the REST issue objects and the
# "commented" timeline events (REST issue comments) with their ids, urls, people, labels, states and
# times; every body is set to null and nothing else is changed. Pull requests (pulls/) are left out.
#   export/issues.json    GET /repos/bitcoin-core/gui/issues objects (a list), body null
#   export/comments.json  issue comment objects (a list), body null
#   closed.json           who closed each issue, from its "closed" timeline events (read only by the truth)
# Usage: evals/real/bitcoin-core-gui-issues/prep.sh [SNAPSHOT_GIT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
snapshot=${1:-/work/.mirror/bitcoin-data+github-metadata-backup-bitcoin-core-gui/repo}
want=4d6a618866d6079ef63547f36328067001b58f37
got=$(git -C "$snapshot" rev-parse HEAD)
[ "$got" = "$want" ] || echo "prep: snapshot HEAD is $got, SOURCE names $want" >&2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
git -C "$snapshot" archive HEAD issues | tar -x -C "$tmp"
user='{login: .login, id: .id, type: .type}'
rm -rf "$here/export" && mkdir -p "$here/export"
jq -s "sort_by(.issue.number) | map(.issue | {id, number, url, repository_url, html_url, state, state_reason, title,
  body: null, user: (.user | $user), labels: [.labels[] | {name}], assignees: [.assignees[] | $user],
  comments, created_at, closed_at})" "$tmp"/issues/*.json > "$here/export/issues.json"
jq -s "sort_by(.issue.number) | [.[].events[] | select(.event == \"commented\") | {id, url, html_url, issue_url,
  body: null, user: (.user | $user), author_association, created_at}]" "$tmp"/issues/*.json > "$here/export/comments.json"
jq -s "sort_by(.issue.number) | [.[] | .issue.number as \$n | .events[] | select(.event == \"closed\")
  | {issue: \$n, actor: .actor.login, created_at}]" "$tmp"/issues/*.json > "$here/closed.json"
