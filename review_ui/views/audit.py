"""Audit: every decision and practice entry, filterable and exportable, with review statistics."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from review_ui import services, ui

# Filter value meaning no filter.
ALL = "(all)"

ws = ui.workspace()
ui.require_identity()
names = services.people(ws)
st.title("Audit")

try:
    stats = services.review_stats(ws)
    entries = services.audit_log(ws)
except services.Unavailable as exc:
    ui.unavailable(exc)

st.subheader("Review statistics")
cols = st.columns(4)
for col, (key, title) in zip(
    cols,
    (
        ("approved_as_is", "Approved as-is"),
        ("approved_with_edits", "Approved with edits"),
        ("changes_requested", "Changes requested"),
        ("rejected", "Rejected"),
    ),
    strict=True,
):
    share = stats.get(f"{key}_share")
    col.metric(title, f"{share:.0%}" if share is not None else "—", help=f"{stats.get(key, 0)} decisions")

st.subheader("Ledger")
c1, c2, c3 = st.columns(3)
actors = sorted({e["actor"] for e in entries if e.get("actor")})
actor = c1.selectbox(
    "Who",
    [ALL, *actors],
    format_func=lambda p: p if p == ALL else services.label(names, p),
    key="audit_actor",
)
actions = sorted({e["action"] for e in entries if e.get("action")})
action = c2.selectbox("What", [ALL, *actions], key="audit_action")
outcomes = sorted({e["outcome"] for e in entries if e.get("outcome")})
outcome = c3.selectbox("Outcome", [ALL, *outcomes], key="audit_outcome")
filters = {}
if actor != ALL:
    filters["actor"] = actor
if action != ALL:
    filters["action"] = action
if outcome != ALL:
    filters["outcome"] = outcome
rows = services.audit_log(ws, **filters) if filters else entries
frame = pd.DataFrame(rows)
st.dataframe(frame, hide_index=True, width="stretch", key="audit_table")
st.download_button(
    "Download CSV",
    data=frame.to_csv(index=False).encode("utf-8"),
    file_name="understudy-audit.csv",
    mime="text/csv",
    key="audit_csv",
)
