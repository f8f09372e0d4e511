"""The command line decides and confirms only as an authenticated reviewer once a workspace has accounts."""

from __future__ import annotations

import getpass
import json

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.ledger import audit_log, get_draft

from .helpers import SCOPE

try:
    from tests.drafting.conftest import seed_org
except ImportError:
    from drafting.conftest import seed_org

PASSWORDS = {"ana": "ana's long password", "bochen": "bo's long password"}


def _run(ws, *args, env=None, stdin=None):
    result = CliRunner().invoke(app, ["--home", str(ws.home), *args], env=env, input=stdin)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def prompts(monkeypatch):
    """The password typed at the prompt (what a person would type)."""
    answers: list[str] = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": answers.pop(0))
    return answers


def _draft(ws):
    code, out, err = _run(ws, "draft", "--scope", SCOPE, "--kind", "runbook", "--json")
    assert code == 0, err
    return json.loads(out)["drafts"][0]["id"]


def test_without_accounts_every_decision_says_it_is_unauthenticated(ws):
    seed_org(ws)
    draft_id = _draft(ws)
    code, out, err = _run(ws, "drafts", "decide", draft_id, "--reviewer", "ana", "--approve", "--json")
    assert code == 0, err
    assert json.loads(out)["authenticated"] is False
    assert "no reviewer accounts" in err and "not authenticated" in err


def test_with_accounts_typed_identities_are_refused(ws, prompts):
    seed_org(ws)
    draft_id = _draft(ws)
    # the first account needs no admin and is one; the next is made by that admin
    code, out, err = _run(ws, "accounts", "add", "ana", "--password-stdin", stdin=PASSWORDS["ana"] + "\n")
    assert code == 0, err
    prompts.append(PASSWORDS["ana"])
    code, _, err = _run(
        ws, "accounts", "add", "bochen", "--as", "ana", "--password-stdin", stdin=PASSWORDS["bochen"] + "\n"
    )
    assert code == 0, err
    # a non-admin cannot make or reset accounts, and the attempt is audited
    prompts.append(PASSWORDS["bochen"])
    code, _, err = _run(
        ws, "accounts", "add", "cypark", "--as", "bochen", "--password-stdin", stdin="x" * 12 + "\n"
    )
    assert code == 1 and "admin" in err
    assert [r["outcome"] for r in audit_log(ws, {"action": "account-create"})][0] == "refused"

    # typing someone's name without their password decides nothing
    prompts.append("not the password")
    code, _, err = _run(ws, "drafts", "decide", draft_id, "--reviewer", "ana", "--approve", "--json")
    assert code == 1 and "no reviewer account with that password" in err
    assert get_draft(ws, draft_id).decisions == []

    # a token is one reviewer; --reviewer naming someone else is refused
    prompts.append(PASSWORDS["ana"])
    code, token, err = _run(ws, "accounts", "token", "ana")
    assert code == 0, err
    env = {"UNDERSTUDY_REVIEWER_TOKEN": token.strip()}
    code, _, err = _run(ws, "drafts", "decide", draft_id, "--reviewer", "bochen", "--approve", env=env)
    assert code == 1 and "not the authenticated reviewer" in err
    assert get_draft(ws, draft_id).decisions == []
    code, out, err = _run(
        ws, "drafts", "decide", draft_id, "--reviewer", "ana", "--approve", "--json", env=env
    )
    assert code == 0, err
    decided = json.loads(out)
    assert (
        decided["authenticated"] is True and decided["channel"] == "token" and decided["reviewer"] == "p-ana"
    )
    (row,) = [r for r in audit_log(ws, {"action": "decide", "subject": draft_id})]
    assert row["detail"]["channel"] == "token" and row["detail"]["os_user"]

    # confirming practice: only as yourself
    args = [
        "practice",
        "log",
        "--person",
        "bochen",
        "--scope",
        SCOPE,
        "--kind",
        "led-alone",
        "--outcome",
        "success",
    ]
    code, _, err = _run(ws, *args, "--confirmed-by", "cypark", "--json", env=env)
    assert code == 1 and "not the authenticated reviewer" in err
    code, out, err = _run(ws, *args, "--confirmed-by", "ana", "--json", env=env)
    assert code == 0, err
    assert json.loads(out)["confirmer"] == "p-ana" and json.loads(out)["authenticated"] is True
    code, out, _ = _run(ws, *args, "--json")
    entry = json.loads(out)["id"]
    prompts.append(PASSWORDS["bochen"])
    code, _, err = _run(ws, "practice", "confirm", str(entry), "--by", "ana")
    assert code == 1 and "no reviewer account with that password" in err
