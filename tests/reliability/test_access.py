"""Access: the review UI refuses unauthenticated decisions and identities claimed through the URL or forms."""

from __future__ import annotations

import stat

from tests.reliability import figures


def _decisions(ws, draft_id):
    from agent.ledger import get_draft

    return get_draft(ws, draft_id).decisions


def test_ui_refuses_unauthenticated_and_spoofed_identities(ui_ws, cast) -> None:
    """No sign-in: the draft page offers no decision; query parameters and session keys from forms claim nothing."""
    from streamlit.testing.v1 import AppTest

    from tests.ui.helpers import APP, texts

    tried = 0
    for params in (
        {},
        {"reviewer": cast.reviewer},
        {"_understudy_identity": cast.reviewer, "user": cast.reviewer, "as": cast.reviewer},
    ):
        at = AppTest.from_file(str(APP.with_name("views") / "draft.py"), default_timeout=60)
        at.session_state["draft_id"] = cast.draft_id
        at.session_state["reviewer"] = cast.reviewer  # what a form field named 'reviewer' would set
        for k, v in params.items():
            at.query_params[k] = v
        at.run()
        tried += 1
        assert not at.exception, at.exception
        assert "Sign in to use the review UI" in texts(at)
        assert not [b for b in at.button if b.key and b.key.startswith("draft_")]
    assert not _decisions(ui_ws, cast.draft_id), "a decision was recorded without a signed-in reviewer"
    accounts = ui_ws.settings.sqlite_path  # reviewer accounts live in the database
    assert accounts.exists() and stat.S_IMODE(accounts.stat().st_mode) == 0o600
    figures.put("access", "spoof_attempts_refused", tried)
