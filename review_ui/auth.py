"""Sign-in for the review UI: reviewer accounts (kept in the database by :mod:`agent.ledger.accounts`) or OpenID Connect.

A reviewer signs in with any alias of their person (email, handle, name) and their password.
When ``[auth]`` is configured in Streamlit's ``secrets.toml``, ``st.login`` (OpenID Connect) is
offered too and the provider's e-mail is resolved to a person the same way.

The signed-in identity lives only in session state under :data:`IDENTITY_KEY`; no widget uses that
key and nothing reads query parameters for it, so neither a form nor a URL can claim an identity.

Create an account without the ``understudy`` command (the first account of a workspace needs no admin)::

    python -m review_ui.auth add-reviewer ALIAS [--as ADMIN] [--home DIR]   # asks for the passwords
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from agent.ledger import accounts
from agent.ledger.accounts import MIN_PASSWORD_LENGTH, AccountError, Identity

IDENTITY_KEY = "_understudy_identity"
"""Session-state key of the signed-in person id; only this module writes it."""

METHOD_KEY = "_understudy_identity_method"
"""Session-state key saying how the identity was established (password or oidc)."""

__all__ = ["MIN_PASSWORD_LENGTH", "AccountError", "Identity"]


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


def add_reviewer(
    ws: Any, person_alias: str, password: str, by: Identity | None = None, is_admin: bool = False
) -> str:
    """Create or reset a reviewer account (by an admin, except the workspace's first); return the person id."""
    return accounts.create_account(ws, person_alias, password, by=by, is_admin=is_admin, channel="ui")


def remove_reviewer(ws: Any, person_alias: str, by: Identity) -> bool:
    """Delete a reviewer account (an admin's act); True when one existed."""
    return accounts.remove_account(ws, person_alias, by, channel="ui")


def reviewers(ws: Any) -> list[str]:
    """Person ids that have a reviewer account."""
    return accounts.reviewers(ws)


def verify(ws: Any, login: str, password: str) -> str | None:
    """The person id when ``login`` (any alias) and ``password`` match an account, else None."""
    identity = accounts.authenticate(ws, login, password, channel="ui")
    return identity.person_id if identity is not None else None


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
    add.add_argument("--as", dest="admin", help="The admin making it (not needed for the first account).")
    add.add_argument("--admin", dest="make_admin", action="store_true", help="Make the account an admin.")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="Read the new password from stdin (then the admin's password, on the next line).",
    )
    rm = sub.add_parser("remove-reviewer", help="Delete an account (asks for the admin's password).")
    rm.add_argument("alias")
    rm.add_argument("--as", dest="admin", required=True, help="The admin removing it.")
    sub.add_parser("list", help="List the people who have an account.")
    args = parser.parse_args(argv)
    ws = Workspace.open(args.home)

    def admin_identity(stdin: bool) -> Identity | None:
        if not args.admin:
            return None
        secret = (
            sys.stdin.readline().rstrip("\n") if stdin else getpass.getpass(f"Password of {args.admin}: ")
        )
        return accounts.authenticate(ws, args.admin, secret, channel="cli")

    if args.command == "add-reviewer":
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Again: ") != password:
                print("review_ui.auth: the passwords differ", file=sys.stderr)
                return 1
        by = admin_identity(args.password_stdin)
        if args.admin and by is None:
            print(f"review_ui.auth: wrong password for {args.admin}", file=sys.stderr)
            return 1
        try:
            person_id = accounts.create_account(
                ws, args.alias, password, by=by, is_admin=args.make_admin, channel="cli"
            )
        except AccountError as exc:
            print(f"review_ui.auth: {exc}", file=sys.stderr)
            return 1
        print(person_id)
    elif args.command == "remove-reviewer":
        by = admin_identity(False)
        if by is None:
            print(f"review_ui.auth: wrong password for {args.admin}", file=sys.stderr)
            return 1
        try:
            removed = accounts.remove_account(ws, args.alias, by, channel="cli")
        except Exception as exc:  # noqa: BLE001 - a refusal names its rule
            print(f"review_ui.auth: {exc}", file=sys.stderr)
            return 1
        if not removed:
            print(f"review_ui.auth: {args.alias!r} has no account", file=sys.stderr)
            return 1
    else:
        for person_id in reviewers(ws):
            print(person_id)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
