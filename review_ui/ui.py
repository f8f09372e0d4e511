"""Small rendering helpers shared by the pages: the workspace, the signed-in reviewer, notices."""

from __future__ import annotations

from typing import Any

import streamlit as st

from review_ui import auth, services


def workspace() -> Any:
    """The workspace this server reviews."""
    return services.workspace()


def identity() -> str | None:
    """The signed-in person id (from session state only), or None."""
    return auth.current(st.session_state)


def require_identity() -> str:
    """The signed-in person id; otherwise say so and stop the page."""
    me = identity()
    if me is None:
        st.warning("Sign in to use the review UI: decisions and practice carry the signed-in identity.")
        st.stop()
    return me


def unavailable(exc: Exception) -> None:
    """Say that a part of the agent is missing, and stop the page."""
    st.info(f"Not available yet: {exc}")
    st.stop()
