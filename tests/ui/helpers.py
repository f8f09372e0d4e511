"""Helpers for the review UI tests: the app's path, the test password, and page actions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

APP = Path(__file__).resolve().parents[2] / "review_ui" / "app.py"
"""The Streamlit entry script under test."""

PASSWORD = "correct horse battery staple"
"""Password of every reviewer account in the test workspace."""

APP_TIMEOUT = 180
"""Seconds an AppTest run may take (a request-changes decision redrafts with the real embedder)."""


def sign_in(at: Any, login: str, password: str = PASSWORD) -> Any:
    """Fill the sign-in form and submit it."""
    at.text_input(key="sign_in_login").input(login)
    at.text_input(key="sign_in_password").input(password)
    at.form_submit_button[0].click().run()
    assert not at.exception, at.exception
    return at


def open_draft(at: Any, draft_id: str) -> Any:
    """Open a draft on the Draft page the way the queue does."""
    at.session_state["draft_id"] = draft_id
    at.switch_page("views/draft.py").run()
    assert not at.exception, at.exception
    return at


def texts(at: Any) -> str:
    """Every message, markdown and caption on the page, joined (for assertions)."""
    parts = []
    for kind in ("success", "error", "warning", "info", "markdown", "caption"):
        parts.extend(str(e.value) for e in getattr(at, kind))
    return "\n".join(parts)


def table(at: Any, column: str) -> Any:
    """The first dataframe on the page that has ``column`` (as a pandas DataFrame)."""
    for element in at.dataframe:
        if column in element.value.columns:
            return element.value
    raise AssertionError(f"no table with a {column!r} column on the page")
