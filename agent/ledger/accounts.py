"""Reviewer accounts, kept in the database: bcrypt passwords, per-reviewer script tokens, admins.

The first account of a workspace may be made by anyone and is an admin; every later account, and
every reset, is made by an authenticated admin. Each of these acts, each token issued and each failed
sign-in is an audit row with its channel and OS user. A reviewers file of the old JSON format
(``reviewers.json`` beside the database) is imported once, audited, and renamed.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bcrypt
from sqlalchemy import func, select

from agent.ledger.models import ReviewerAccount
from agent.ledger.rules import RULE_ADMIN, RULE_KNOWN_PERSON, LedgerRefusal
from agent.ledger.service import _resolve, audit, os_user
from ingest.db import Person, utcnow

MIN_PASSWORD_LENGTH = 10
"""Shortest password accepted (NIST SP 800-63B asks for at least 8; we ask a little more)."""

MAX_PASSWORD_BYTES = 72
"""bcrypt reads at most this many bytes of a password."""

BCRYPT_ROUNDS = 12
"""bcrypt cost factor: the library's default, about a quarter second per check on a laptop."""

TOKEN_BYTES = 32
"""Random bytes in a reviewer token (256 bits, as ``secrets`` recommends for tokens)."""

LEGACY_FILE = "reviewers.json"
"""The old accounts file inside the workspace folder, imported once into the database."""

_DUMMY_HASH = bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt(4))
"""Checked against when a login is unknown, so unknown and wrong answers take similar time."""


class AccountError(ValueError):
    """An account could not be created or changed (unknown person, weak password, not an admin)."""

    def __init__(self, message: str, rule: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class Identity:
    """An authenticated reviewer: their person id, display name, how they proved it, and whether admin."""

    person_id: str
    name: str
    method: str
    is_admin: bool = False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _import_legacy(ws: Any) -> None:
    """Move accounts of the old ``reviewers.json`` into the database (once), then rename the file."""
    path = Path(ws.home) / LEGACY_FILE
    if not path.exists():
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8")).get("accounts", {})
    except (OSError, ValueError, AttributeError):
        return
    with ws.session() as s:
        first = not s.scalar(select(func.count()).select_from(ReviewerAccount))
        for i, (pid, account) in enumerate(sorted(data.items())):
            if s.get(ReviewerAccount, pid) is None and isinstance(account, dict) and account.get("hash"):
                s.add(
                    ReviewerAccount(person_id=pid, password_hash=account["hash"], is_admin=first and i == 0)
                )
                audit(s, None, "account-import", f"account:{pid}", "ok", source=str(path), os_user=os_user())
    path.rename(path.with_suffix(".json.imported"))


def has_accounts(ws: Any) -> bool:
    """Whether the workspace has any reviewer account (then the CLI acts only as an authenticated reviewer)."""
    _import_legacy(ws)
    with ws.session() as s:
        return bool(s.scalar(select(func.count()).select_from(ReviewerAccount)))


def reviewers(ws: Any) -> list[str]:
    """Person ids that have a reviewer account."""
    _import_legacy(ws)
    with ws.session() as s:
        return sorted(s.scalars(select(ReviewerAccount.person_id)))


def _identity(s: Any, account: ReviewerAccount, method: str) -> Identity:
    person = s.get(Person, account.person_id)
    name = person.name if person is not None and person.name else account.person_id
    return Identity(account.person_id, name, method, bool(account.is_admin))


def authenticate(ws: Any, login: str, password: str, channel: str = "api") -> Identity | None:
    """The identity when ``login`` (any alias) and ``password`` match an account, else None (audited)."""
    _import_legacy(ws)
    person_id = _resolve(ws, login) if login.strip() else None
    with ws.session() as s:
        account = s.get(ReviewerAccount, person_id) if person_id else None
        hashed = account.password_hash.encode("ascii") if account else _DUMMY_HASH
        try:
            ok = bcrypt.checkpw(password.encode("utf-8")[:MAX_PASSWORD_BYTES], hashed)
        except ValueError:
            ok = False
        if ok and account is not None:
            return _identity(s, account, "password")
        audit(
            s,
            person_id,
            "sign-in",
            f"account:{person_id or login[:60]}",
            "refused",
            channel=channel,
            os_user=os_user(),
        )
    return None


def authenticate_token(ws: Any, token: str, channel: str = "token") -> Identity | None:
    """The identity whose reviewer token this is, else None (audited)."""
    if not token:
        return None
    with ws.session() as s:
        account = s.scalar(select(ReviewerAccount).where(ReviewerAccount.token_hash == _token_hash(token)))
        if account is not None:
            return _identity(s, account, "token")
        audit(s, None, "sign-in", "account:token", "refused", channel=channel, os_user=os_user())
    return None


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise AccountError(f"a password may have at most {MAX_PASSWORD_BYTES} bytes (bcrypt's limit)")


def create_account(
    ws: Any,
    alias: str,
    password: str,
    by: Identity | None = None,
    is_admin: bool = False,
    channel: str = "api",
) -> str:
    """Create or reset a person's account; made by an admin, except the workspace's first (an admin). Returns the id."""
    _check_password(password)
    person_id = _resolve(ws, alias)
    if person_id is None:
        raise AccountError(
            f"{alias!r} is not a known person (or names more than one) in this workspace", RULE_KNOWN_PERSON
        )
    _import_legacy(ws)
    with ws.session() as s:
        first = not s.scalar(select(func.count()).select_from(ReviewerAccount))
        admin = s.get(ReviewerAccount, by.person_id) if by is not None and not first else None
        allowed = first or (admin is not None and bool(admin.is_admin))
    if not allowed:
        with ws.session() as s:
            audit(
                s,
                by.person_id if by else None,
                "account-create",
                f"account:{person_id}",
                "refused",
                rule=RULE_ADMIN,
                channel=channel,
                os_user=os_user(),
            )
        who = "no admin signed in" if by is None else f"{by.person_id} is not an admin"
        raise AccountError(f"only an admin creates or resets reviewer accounts ({who})", RULE_ADMIN)
    with ws.session() as s:
        hashed = bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")
        account = s.get(ReviewerAccount, person_id)
        event = "account-reset" if account is not None else "account-create"
        if account is None:
            account = ReviewerAccount(
                person_id=person_id,
                password_hash=hashed,
                is_admin=first or is_admin,
                created_by=by.person_id if by else None,
            )
            s.add(account)
        else:
            account.password_hash = hashed
            account.token_hash = None  # a reset revokes the old token
            account.is_admin = account.is_admin or is_admin
            account.updated_at = utcnow()
        audit(
            s,
            by.person_id if by else None,
            event,
            f"account:{person_id}",
            "ok",
            admin=bool(account.is_admin),
            first_account=first,
            channel=channel,
            os_user=os_user(),
        )
    return person_id


def issue_token(ws: Any, alias: str, by: Identity, channel: str = "cli") -> str:
    """A new script token for a person's account (by themselves or an admin); the old one stops working."""
    person_id = _resolve(ws, alias)
    with ws.session() as s:
        account = s.get(ReviewerAccount, person_id) if person_id else None
        if account is None:
            raise AccountError(f"{alias!r} has no reviewer account", RULE_KNOWN_PERSON)
        if by.person_id != person_id and not by.is_admin:
            raise AccountError("a token is issued to its own reviewer, or by an admin", RULE_ADMIN)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        account.token_hash = _token_hash(token)
        account.updated_at = utcnow()
        audit(
            s, by.person_id, "account-token", f"account:{person_id}", "ok", channel=channel, os_user=os_user()
        )
    return token


def remove_account(ws: Any, alias: str, by: Identity, channel: str = "api") -> bool:
    """Delete a reviewer account (an admin's act); True when one existed."""
    person_id = _resolve(ws, alias) or alias
    with ws.session() as s:
        admin = s.get(ReviewerAccount, by.person_id)
        if admin is None or not admin.is_admin:
            raise LedgerRefusal(RULE_ADMIN, f"{by.person_id} is not an admin")
        account = s.get(ReviewerAccount, person_id)
        if account is None:
            return False
        s.delete(account)
        audit(
            s,
            by.person_id,
            "account-remove",
            f"account:{person_id}",
            "ok",
            channel=channel,
            os_user=os_user(),
        )
    return True
