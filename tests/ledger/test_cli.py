"""The command line for drafts, practice and independence (same rules as the library)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from agent.cli import app

from .helpers import SCOPE

try:
    from tests.drafting.conftest import seed_org
except ImportError:
    from tests.drafting.conftest import seed_org


def _run(ws, *args):
    result = CliRunner().invoke(app, ["--home", str(ws.home), *args])
    return result.exit_code, result.stdout, result.stderr


def test_review_and_practice_through_the_cli(ws):
    seed_org(ws)
    code, out, err = _run(ws, "draft", "--scope", SCOPE, "--kind", "runbook", "--json")
    assert code == 0, err
    (row,) = json.loads(out)["drafts"]
    assert set(row) == {"id", "kind", "scope", "status", "flags", "citations"} and row["status"] == "pending"
    draft_id = row["id"]

    code, out, _ = _run(ws, "drafts", "list", "--json")
    assert code == 0 and [d["id"] for d in json.loads(out)["drafts"]] == [draft_id]
    code, out, _ = _run(ws, "drafts", "show", draft_id, "--json")
    assert code == 0 and json.loads(out)["kind"] == "runbook"

    code, out, _ = _run(ws, "drafts", "decide", draft_id, "--reviewer", "gslater", "--approve", "--json")
    assert code == 0 and json.loads(out)["status"] == "awaiting-non-hero-approval"
    code, out, _ = _run(
        ws,
        "practice",
        "log",
        "--person",
        "ana",
        "--scope",
        SCOPE,
        "--kind",
        "led-alone",
        "--outcome",
        "success",
        "--json",
    )
    assert code == 1  # nothing approved yet for the scope

    code, out, _ = _run(ws, "drafts", "decide", draft_id, "--reviewer", "Ana Lee", "--approve", "--json")
    decided = json.loads(out)
    assert code == 0 and decided["status"] == "approved" and decided["id"]

    code, _, err = _run(
        ws,
        "practice",
        "log",
        "--person",
        "ana",
        "--scope",
        SCOPE,
        "--kind",
        "led-alone",
        "--outcome",
        "success",
        "--confirmed-by",
        "ana@example.org",
        "--json",
    )
    assert code == 1 and "confirms it" in err

    code, out, _ = _run(
        ws,
        "practice",
        "log",
        "--person",
        "ana",
        "--scope",
        SCOPE,
        "--kind",
        "led-alone",
        "--outcome",
        "success",
        "--artifact",
        draft_id,
        "--notes",
        "hesitated at the rollback",
        "--json",
    )
    entry = json.loads(out)
    assert code == 0 and entry["id"] and entry["confirmer"] is None
    code, _, err = _run(ws, "practice", "confirm", str(entry["id"]), "--by", "ana", "--json")
    assert code == 1 and "own practice" in err
    code, out, _ = _run(ws, "practice", "confirm", str(entry["id"]), "--by", "bochen", "--json")
    assert code == 0 and json.loads(out)["confirmer"] == "p-bo"

    code, out, _ = _run(ws, "independence", "--scope", SCOPE, "--json")
    (scope,) = json.loads(out)["scopes"]
    assert code == 0 and scope["verdict"] == "narrowing" and scope["hero"] == "p-grant"
    assert {"scope", "hero", "verdict", "approved_artifacts", "practised_people", "reasons"} <= set(scope)

    code, _, err = _run(
        ws, "drafts", "decide", draft_id, "--reviewer", "bochen", "--reject", "late", "--json"
    )
    assert code == 1 and "conflict" in err
