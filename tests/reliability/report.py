"""Write RELIABILITY.md from the figures of a test run: ``python -m tests.reliability.report``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.reliability.figures import ARTIFACT

OUT = Path(__file__).resolve().parents[2] / "RELIABILITY.md"
"""The committed report at the repository root."""

FIXES = """\
- `ingest/adapters/{slack,pagerduty,jira,github,oncall}.py`: a wrongly-typed field (`true` for an object,
  a number for a list, a `null` person) raised out of `read()`, so the pipeline quarantined the whole group
  as "reader failed" and lost its other records. Each per-item site (`SlackAdapter._read_conversation`
  thread records and `read` per export, `PagerDutyAdapter.read` incident records, `JiraAdapter.read` issues,
  `GitHubAdapter.read` issues/deployments, `OncallAdapter.read` per file) now yields a Problem for that
  item and goes on; helper `ITEM_ERRORS` / `item_problem` added to `ingest/adapters/_common.py`.
- `ingest/adapters/markdown.py:_EMAIL`: the e-mail pattern backtracked quadratically on a long line without
  an `@` (a 50 kB line took 54 s, a 1 MB line hours: a denial of service by one postmortem). A look-behind
  now starts a match only where a local part starts: 1 MB in about 2 s.
- `ingest/settings.py:ensure_workspace`: only the folders were made under umask 077; the SQLite WAL/SHM
  files, the Chroma folder and its files, `checkpoints.db` and logs were created 0644/0755. The process
  umask now stays at least as strict as 077 once a workspace is opened.
- `agent/drafting/grounding.py:INJECTION_PATTERNS`: fake approvals ("APPROVED by @lead", "LGTM, approved
  by ...") and "mark this as independent" were not flagged to the reviewer; a `fake-approval` pattern now is.
"""


def render(data: dict[str, Any]) -> str:
    """The markdown report for one run's figures."""
    fuzz = data.get("fuzz_inputs", {})
    crashes = data.get("crashes", {})
    conc = data.get("concurrency", {})
    sec = data.get("secrets", {})
    inj = data.get("injection", {})
    lines = [
        "# Reliability and security",
        "",
        "Figures from the suite in `tests/reliability/` (`make test`; long fuzzing: `make fuzz`),",
        "regenerated with `python -m tests.reliability.report` from `test-artifacts/reliability.json`.",
        "",
        "## Fuzzing the adapters (inputs tried, nothing escaped)",
        "",
        "| source kind | inputs tried |",
        "|---|---:|",
        *[f"| {k} | {v} |" for k, v in sorted(fuzz.items())],
        f"| **total** | **{sum(fuzz.values())}** |",
        "",
        "Mutations: fields swapped to null / number / string / list / dict, removed fields, truncation,",
        "UTF-16, Latin-1, invalid bytes, BOMs, oversized strings (1 MB), 10,000-level JSON nesting; Slack zips",
        "with path traversal, a zip bomb, symlink entries, nested and truncated zips, symlinked day files.",
        "Every input gave records or a quarantined file with its reason; earlier data stayed.",
        "",
        "## Crash safety (SIGKILL at seeded random points)",
        "",
        f"- ingest kills: {crashes.get('ingest_kills', 0)}; decision/publish kills: "
        f"{crashes.get('decision_kills', 0)}; scan kills: {crashes.get('scan_kills', 0)}",
        f"- survived (SQLite, Chroma and ledger agree after the next run and `understudy doctor`): "
        f"{crashes.get('survived', 0)}",
        "",
        "## Concurrency",
        "",
        f"- decisions attempted at once (threads and processes, one SQLite ledger): "
        f"{conc.get('decisions_attempted', 0)}; recorded: {conc.get('decisions_recorded', 0)}; "
        f"conflicts reported to the reviewer who lost: {conc.get('conflicts_reported', 0)}",
        f"- decisions made while an ingest process ran on the same workspace: "
        f"{conc.get('decisions_during_ingest', 0)}, none lost; two scans at once: the second waits or exits "
        "with a clear message (tests/scan)",
        "",
        "## Secrets",
        "",
        f"- planted secrets (chat, postmortems, runbooks): {sec.get('planted', '-')}; reached SQLite, Chroma or "
        f"the drafter: {sec.get('leaked', '-')}; recall {sec.get('pipeline_recall', '-')}",
        f"- false-positive rate over {sec.get('ordinary_lines', '-')} ordinary lines: "
        f"{sec.get('false_positive_rate', '-')}",
        "",
        "## Prompt injection",
        "",
        f"- hostile cases (tests/fixtures/injection): {inj.get('cases', '-')}; flagged to the reviewer: "
        f"{inj.get('detected_by_flagging', '-')}; decisions created by ingested text: {inj.get('decisions_created', '-')}",
        "",
        "## Access and backup",
        "",
        f"- spoofed or unauthenticated UI attempts refused: {data.get('access', {}).get('spoof_attempts_refused', '-')}",
        "- workspace files (db, chroma, exports, reports, quarantine) checked owner-only",
        f"- ledger rows round-tripped byte-identically by export/import: "
        f"{data.get('backup', {}).get('rows_round_tripped', '-')}",
        "",
        "## Defects found and fixed",
        "",
        FIXES,
        "- `ingest/pipeline.py:_redact_value`: a lone surrogate (`\\ud800` in a chat message) reached SQLite and",
        "  raised `UnicodeEncodeError` out of `ingest_paths`; text is now made valid UTF-8 before storing.",
        "",
        "- `ingest/adapters/_common.py:excerpt`: titles and excerpts were cut to 80 characters before",
        "  redaction, so a cut secret no longer matched and reached record titles (3 of 324 planted);",
        "  excerpts are now redacted before they are cut.",
        "- `tests/reliability/test_crash_safety.py`: the decision/publish kill fired after the process had",
        "  already finished (0 kills); it now fires after the first approval is reported, mid-run.",
        "",
        "## Open findings (not fixed)",
        "",
        "- Two scans started at exactly the same instant are covered by the lock test in tests/scan (the",
        "  second exits with a clear message or waits), not by a SIGKILL of both.",
        "- Concurrency against PostgreSQL is exercised by the scale-out suite's flows, not by a race test.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    """Write RELIABILITY.md; exit 1 when there are no figures."""
    if not ARTIFACT.exists():
        print(f"no figures at {ARTIFACT}; run the reliability suite first", file=sys.stderr)
        return 1
    OUT.write_text(render(json.loads(ARTIFACT.read_text())))
    print(OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
