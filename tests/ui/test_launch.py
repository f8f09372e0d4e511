"""``understudy review``: the address check and reviewer accounts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from review_ui import auth
from review_ui.__main__ import is_loopback, refusal

from .helpers import PASSWORD

UNDERSTUDY = str(Path(sys.executable).with_name("understudy"))
"""The console script of the virtual environment running the tests."""


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.org", False),
    ],
)
def test_is_loopback(address, loopback):
    assert is_loopback(address) is loopback


def test_review_refuses_a_public_address_without_authentication(tmp_path):
    done = subprocess.run(
        [UNDERSTUDY, "--home", str(tmp_path / "ws"), "review", "--address", "0.0.0.0", "--port", "8599"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("understudy: refusing to serve the review UI on 0.0.0.0")
    assert done.stdout == ""


def test_review_refuses_a_bad_port(tmp_path):
    done = subprocess.run(
        [UNDERSTUDY, "--home", str(tmp_path / "ws"), "review", "--port", "70000"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 2 and "is not a TCP port" in done.stderr


def test_a_reviewer_account_allows_a_public_address(ui_ws, cast, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert refusal("0.0.0.0", 8501, str(ui_ws.home)) is None
    from agent.ledger.accounts import authenticate

    admin = authenticate(ui_ws, cast.reviewer, PASSWORD)
    auth.remove_reviewer(ui_ws, cast.hero, by=admin)
    auth.remove_reviewer(ui_ws, cast.other, by=admin)
    auth.remove_reviewer(ui_ws, cast.reviewer, by=admin)
    assert refusal("0.0.0.0", 8501, str(ui_ws.home)) is not None


def test_oidc_secrets_count_as_authentication(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    (tmp_path / ".streamlit").mkdir()
    assert not auth.oidc_configured_on_disk(tmp_path)
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        '[auth]\nredirect_uri = "https://review.example.org/oauth2callback"\ncookie_secret = "s3cret"\n'
        'client_id = "x"\nclient_secret = "y"\nserver_metadata_url = "https://idp.example.org/.well-known/openid-configuration"\n'
    )
    assert auth.oidc_configured_on_disk(tmp_path)


def test_accounts_are_bcrypt_hashed_in_the_owner_only_database(ui_ws, cast):
    from agent.ledger.models import ReviewerAccount

    with ui_ws.session() as s:
        hashes = [a.password_hash for a in s.query(ReviewerAccount)]
    assert hashes and all(h.startswith("$2b$") and "correct horse" not in h for h in hashes)
    assert ui_ws.settings.sqlite_path.stat().st_mode & 0o077 == 0
    assert not (ui_ws.home / "reviewers.json").exists()
    assert auth.verify(ui_ws, cast.reviewer, "correct horse battery staple") == cast.reviewer
    assert auth.verify(ui_ws, cast.reviewer, "wrong password!") is None
    assert auth.verify(ui_ws, "nobody-at-all", "correct horse battery staple") is None


def test_add_reviewer_refuses_unknown_people_and_short_passwords(ui_ws, cast):
    with pytest.raises(auth.AccountError, match="not a known person"):
        auth.add_reviewer(ui_ws, "nobody-at-all@example.invalid", "long enough password")
    with pytest.raises(auth.AccountError, match="at least"):
        auth.add_reviewer(ui_ws, cast.reviewer, "short")


def test_add_reviewer_from_the_command_line(ui_ws, cast):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "review_ui.auth",
            "--home",
            str(ui_ws.home),
            "add-reviewer",
            cast.other,
            "--as",
            cast.reviewer,
            "--password-stdin",
        ],
        input=f"another long password\n{PASSWORD}\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == cast.other
    assert auth.verify(ui_ws, cast.other, "another long password") == cast.other
