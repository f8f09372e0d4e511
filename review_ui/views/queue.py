"""Review queue: drafts waiting for a decision, riskiest first, filtered and paginated."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from review_ui import services, ui

# Filter value meaning no filter.
ALL = "(all)"

ws = ui.workspace()
ui.require_identity()
st.title("Review queue")

try:
    facets = services.draft_facets(ws)
except services.Unavailable as exc:
    ui.unavailable(exc)

statuses = [ALL, *sorted(set(facets["status"]) | {"pending"})]
c1, c2, c3 = st.columns(3)
status = c1.selectbox("Status", statuses, index=statuses.index("pending"), key="queue_status")
scope = c2.selectbox("Scope", [ALL, *facets["scope"]], key="queue_scope")
kind = c3.selectbox("Kind", [ALL, *facets["kind"]], key="queue_kind")

order = st.radio("Order", ["riskiest scope first", "newest first"], horizontal=True, key="queue_order")


@st.cache_data(ttl=60, show_spinner="Ranking scopes by risk…")
def _risks(home: str) -> dict[str, float]:
    return services.scope_risks(services.workspace())


risks = _risks(str(ws.home)) if order == "riskiest scope first" else None
page = int(st.number_input("Page", min_value=1, value=1, step=1, key=f"queue_page::{status}|{scope}|{kind}"))
try:
    rows, total = services.draft_page(
        ws,
        status=None if status == ALL else status,
        scope=None if scope == ALL else scope,
        kind=None if kind == ALL else kind,
        page=page,
        risks=risks,
    )
except services.Unavailable as exc:
    ui.unavailable(exc)
pages = max(1, math.ceil(total / services.PAGE_SIZE))
st.caption(f"{total} drafts match · page {page} of {pages} · {services.PAGE_SIZE} per page")

if not rows:
    st.info("No drafts match these filters.")
    st.stop()

columns = ["id", "kind", "scope", "status", "risk", "hero", "flags", "citations", "version", "created_at"]
frame = pd.DataFrame(rows)
frame = frame[[c for c in columns if c in frame.columns]]
st.dataframe(frame, hide_index=True, width="stretch", key="queue_table")

c1, c2 = st.columns([3, 1])
chosen = c1.selectbox("Open a draft", [r["id"] for r in rows], key="queue_open_id")
if c2.button("Open", key="queue_open"):
    st.session_state["draft_id"] = chosen
    st.switch_page("views/draft.py")
