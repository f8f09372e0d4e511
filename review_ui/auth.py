"""Reviewer accounts and sign-in: bcrypt-hashed passwords kept in the workspace, or OpenID Connect.

Accounts live in ``<workspace>/reviewers.json`` (owner-only permissions), one per person:
``{"version": 1, "accounts": {"<person id>": {"hash": "<bcrypt>", "created_at": "..."}}}``.
A reviewer signs in with any alias of their person (email, handle, name) and their password.
When ``[auth]`` is configured in Streamlit's ``secrets.toml``, ``st.login`` (OpenID Connect) is
offered too and the provider's e-mail is resolved to a person the same way.

The signed-in identity lives only in session state under :data:`IDENTITY_KEY`; no widget uses that
key and nothing reads query parameters for it, so neither a form nor a URL can claim an identity.

Create an account without the ``understudy`` command::

    python -m review_ui.auth add-reviewer ALIAS [--home DIR]   # asks for the password
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bcrypt

ACCOUNTS_FILE = "reviewers.json"
"""Name of the accounts file inside the workspace folder."""

MIN_PASSWORD_LENGTH = 10
"""Shortest password accepted (NIST SP 800-63B asks for at least 8; we ask a little more)."""

BCRYPT_ROUNDS = 12
"""bcrypt cost factor: the library's default, about a quarter second per check on a laptop."""

IDENTITY_KEY = "_understudy_identity"
"""Session-state key of the signed-in person id; only this module writes it."""

METHOD_KEY = "_understudy_identity_method"
"""Session-state key saying how the identity was established (password or oidc)."""

_DUMMY_HASH = bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt(4))
"""Checked against when a login is unknown, so unknown and wrong answers take similar time."""


class AccountError(ValueError):
    """An account could not be created (unknown person, weak password)."""


@dataclass(frozen=True)
class Identity:
    """A signed-in reviewer: their person id, display name and how they signed in."""

    person_id: str
    name: str
    method: str


def accounts_path(ws: Any) -> Path:
    """Where the workspace keeps its reviewer accounts."""
    return Path(ws.home) / ACCOUNTS_FILE


def _load(ws: Any) -> dict[str, Any]:
    path = accounts_path(ws)
    if not path.exists():
        return {"version": 1, "accounts": {}}
    data = json.loads(path.read_text(encoding="utf-8"))
    data.setdefault("accounts", {})
    return data


def _save(ws: Any, data: dict[str, Any]) -> None:
    path = accounts_path(ws)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".reviewers.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def resolve(ws: Any, alias: str) -> str | None:
    """The canonical person id for any alias, or None when unknown or ambiguous."""
    from ingest.identity import resolve_person

    with ws.session() as session:
        return resolve_person(session, alias)


def person_name(ws: Any, person_id: str) -> str:
    """A person's display name (their id when they have no row)."""
    from ingest.db import Person

    with ws.session() as session:
        person = session.get(Person, person_id)
        return person.name if person is not None and person.name else person_id


def add_reviewer(ws: Any, person_alias: str, password: str) -> str:
    """Create or reset the reviewer account of the person named by ``person_alias``; return their id."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password.encode("utf-8")) > 72:
        raise AccountError("a password may have at most 72 bytes (bcrypt's limit)")
    person_id = resolve(ws, person_alias)
    if person_id is None:
        raise AccountError(
            f"{person_alias!r} is not a known person (or names more than one) in this workspace"
        )
    data = _load(ws)
    data["accounts"][person_id] = {
        "hash": bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii"),
        "created_at": datetime.now(UTC).isoformat(),
    }
    _save(ws, data)
    return person_id


def remove_reviewer(ws: Any, person_alias: str) -> bool:
    """Delete a reviewer account; True when one existed."""
    person_id = resolve(ws, person_alias) or person_alias
    data = _load(ws)
    existed = data["accounts"].pop(person_id, None) is not None
    if existed:
        _save(ws, data)
    return existed


def reviewers(ws: Any) -> list[str]:
    """Person ids that have a reviewer account."""
    return sorted(_load(ws)["accounts"])


def verify(ws: Any, login: str, password: str) -> str | None:
    """The person id when ``login`` (any alias) and ``password`` match an account, else None."""
    person_id = resolve(ws, login) if login.strip() else None
    account = _load(ws)["accounts"].get(person_id) if person_id else None
    hashed = account["hash"].encode("ascii") if account else _DUMMY_HASH
    try:
        ok = bcrypt.checkpw(password.encode("utf-8")[:72], hashed)
    except ValueError:
        ok = False
    return person_id if ok and account else None


def oidc_configured(secrets: Any) -> bool:
    """Whether Streamlit's ``[auth]`` section (OpenID Connect for ``st.login``) is configured."""
    try:
        section = secrets.get("auth") if secrets is not None else None
    except Exception:  # noqa: BLE001 - no secrets.toml raises inside Streamlit
        return False
    if not section:
        return False
    return bool(section.get("redirect_uri")) and bool(section.get("cookie_secret"))


def secrets_files(cwd: Path | None = None) -> list[Path]:
    """The ``secrets.toml`` files Streamlit reads (global, then project)."""
    return [Path.home() / ".streamlit" / "secrets.toml", (cwd or Path.cwd()) / ".streamlit" / "secrets.toml"]


def oidc_configured_on_disk(cwd: Path | None = None) -> bool:
    """Whether a ``secrets.toml`` Streamlit will read has a complete ``[auth]`` section."""
    import tomllib

    for path in secrets_files(cwd):
        if path.exists():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, OSError):
                continue
            if oidc_configured(data):
                return True
    return False


def authentication_configured(ws: Any, cwd: Path | None = None) -> bool:
    """Whether anyone can sign in: a reviewer account exists or OpenID Connect is configured."""
    return bool(reviewers(ws)) or oidc_configured_on_disk(cwd)


# ------------------------------------------------------------------------------ session state


def current(state: Any) -> str | None:
    """The signed-in person id from session state, or None."""
    value = state.get(IDENTITY_KEY)
    return value if isinstance(value, str) and value else None


def sign_in(state: Any, ws: Any, login: str, password: str) -> str | None:
    """Check a password and, when it matches, put the person in session state; return their id."""
    person_id = verify(ws, login, password)
    if person_id is not None:
        state[IDENTITY_KEY] = person_id
        state[METHOD_KEY] = "password"
    return person_id


def sign_in_oidc(state: Any, ws: Any, email: str | None) -> str | None:
    """Adopt the OpenID Connect user when their e-mail is an alias of exactly one person."""
    if not email:
        return None
    person_id = resolve(ws, email)
    if person_id is not None:
        state[IDENTITY_KEY] = person_id
        state[METHOD_KEY] = "oidc"
    return person_id


def sign_out(state: Any) -> None:
    """Forget the signed-in identity."""
    for key in (IDENTITY_KEY, METHOD_KEY):
        if key in state:
            del state[key]


# --------------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    """``python -m review_ui.auth add-reviewer|remove-reviewer|list``: manage reviewer accounts."""
    from ingest.workspace import Workspace

    parser = argparse.ArgumentParser(prog="python -m review_ui.auth", description="Manage reviewer accounts.")
    parser.add_argument("--home", help="Workspace folder (else $UNDERSTUDY_HOME, else ./.understudy).")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add-reviewer", help="Create or reset an account (asks for the password).")
    add.add_argument("alias", help="Any alias of the person.")
    add.add_argument("--password-stdin", action="store_true", help="Read the password from stdin.")
    rm = sub.add_parser("remove-reviewer", help="Delete an account.")
    rm.add_argument("alias")
    sub.add_parser("list", help="List the people who have an account.")
    args = parser.parse_args(argv)
    ws = Workspace.open(args.home)
    if args.command == "add-reviewer":
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Again: ") != password:
                print("review_ui.auth: the passwords differ", file=sys.stderr)
                return 1
        try:
            person_id = add_reviewer(ws, args.alias, password)
        except AccountError as exc:
            print(f"review_ui.auth: {exc}", file=sys.stderr)
            return 1
        print(person_id)
    elif args.command == "remove-reviewer":
        if not remove_reviewer(ws, args.alias):
            print(f"review_ui.auth: {args.alias!r} has no account", file=sys.stderr)
            return 1
    else:
        for person_id in reviewers(ws):
            print(person_id)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
